// Prometheus metrics of Email2Fax: messages accepted at the SMTP intake, calls placed by
// outcome, time calls waited for their trunk's pace, pages the far end confirmed, calls in
// progress, finished jobs by result, report emails.
import { Counter, Gauge, type Registry } from 'prom-client';

export class OutboundMetrics {
  readonly messages: Counter;
  readonly calls: Counter<'outcome'>;
  readonly paceWait: Counter<'trunk'>;
  readonly activeCalls: Gauge;
  readonly pages: Counter;
  readonly jobs: Counter<'result'>;
  readonly reports: Counter<'result'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.messages = new Counter({
      name: 'faxswitch_email2fax_messages_accepted_total',
      help: 'Messages the Email2Fax intake accepted (answered 250 after their jobs were durable)',
      registers,
    });
    this.calls = new Counter({
      name: 'faxswitch_outbound_calls_total',
      help: 'Outbound fax calls by outcome (completed, busy, no-answer, congestion, rejected, fax-failed, cancelled)',
      labelNames: ['outcome'],
      registers,
    });
    this.paceWait = new Counter({
      name: 'faxswitch_outbound_pace_wait_seconds_total',
      help: "Seconds outbound calls waited for their place in the trunk's calls per second (cluster-wide)",
      labelNames: ['trunk'],
      registers,
    });
    this.activeCalls = new Gauge({
      name: 'faxswitch_outbound_active_calls',
      help: 'Outbound fax calls in progress on this node',
      registers,
    });
    this.pages = new Counter({
      name: 'faxswitch_outbound_pages_total',
      help: 'Outbound pages the far end confirmed',
      registers,
    });
    this.jobs = new Counter({
      name: 'faxswitch_outbound_jobs_total',
      help: 'Outbound fax jobs finished, by result (sent, partial, failed, cancelled)',
      labelNames: ['result'],
      registers,
    });
    this.reports = new Counter({
      name: 'faxswitch_outbound_report_emails_total',
      help: 'Report emails to senders by result: accepted, temporary (retried later), permanent',
      labelNames: ['result'],
      registers,
    });
  }
}
