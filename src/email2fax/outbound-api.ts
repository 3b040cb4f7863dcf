// What operators ask any node about outbound faxes (over NodeApi; the CLI hosts no actors): whether
// it can take faxes at all (asked before the CLI stores anything), create the jobs of a submission
// the CLI stored — durable before the answer — and cancel a job, as an event to its actor wherever
// it runs (a call in progress is hung up).
import { TerminalError, type ActorHost, type NodeApi } from '../../cluster/index.ts';
import type { OutboundRecords } from './records.ts';
import type { JobLauncher } from './submissions.ts';

export const OUTBOUND_API = {
  ready: 'outbound.ready',
  spawn: 'outbound.spawn',
  cancel: 'outbound.cancel',
} as const;

export function registerOutboundApi(
  api: NodeApi,
  host: Pick<ActorHost, 'read' | 'send'>,
  launcher: JobLauncher,
  records: OutboundRecords,
): void {
  api.handle(OUTBOUND_API.ready, () => {
    launcher.assertCanDial();
    return Promise.resolve({});
  });

  api.handle(OUTBOUND_API.spawn, async (request: { submissionId: string }) => {
    const submission = await records.submission(request.submissionId);
    if (!submission) throw new TerminalError(`no submission ${request.submissionId}`);
    return { jobIds: await launcher.spawn(submission) };
  });

  api.handle(OUTBOUND_API.cancel, async (request: { jobId: string }) => {
    if (!(await host.read(request.jobId))) throw new TerminalError(`no fax job ${request.jobId}`);
    await host.send(request.jobId, { type: 'cancel' });
    return { jobId: request.jobId };
  });
}
