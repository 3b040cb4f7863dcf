// Email2Fax: mail to `<number>@<fax domain>` from an authenticated or verified sender becomes one
// outbound fax job per number, dialled through the cluster's per-trunk queues with retries and
// resume from the first unconfirmed page, and ends in one report email to the sender.
export { Email2FaxService, type Email2FaxOptions } from './service.ts';
export {
  FaxSubmissions,
  JobLauncher,
  OUTBOUND_FAX_JOB,
  type PreparedFax,
  type PageRenderer,
} from './submissions.ts';
export { JOB_REPORT, registerReportEffects, type ReportOptions } from './report.ts';
export { CallDispatcher, callName, type CallWork, type JobActors } from './dispatch.ts';
export { CallExecutor, modemsUpTo, type CallExecutorOptions } from './executor.ts';
export { CallSignals } from './call-signals.ts';
export { OUTBOUND_API, registerOutboundApi } from './outbound-api.ts';
export { OutboundMetrics } from './outbound-metrics.ts';
export { attemptPages, jobPages, loadJob, type PageLayout, type AttemptPages } from './pages.ts';
export {
  OutboundRecords,
  type SubmissionRecord,
  type JobRecord,
  type JobState,
  type JobFinal,
  type CallAttempt,
  type CallResult,
} from './records.ts';
export { submissionIdOf, jobIdOf, reportActorId } from './ids.ts';
export type { IntakeSettings } from './intake.ts';
