// Prometheus metrics of Fax2Email: calls answered and refused, faxes by outcome, pages, failures by
// T.30 reason, and emails with the time from the end of the call to the mail server's acceptance.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type CallRefusal = 'unknown_did' | 'no_capacity' | 'no_audio' | 'not_stored';

export class InboundMetrics {
  readonly calls: Counter<'result'>;
  readonly activeCalls: Gauge;
  readonly faxes: Counter<'outcome'>;
  readonly pages: Counter;
  readonly failures: Counter<'reason'>;
  readonly emails: Counter<'result'>;
  readonly deliverySeconds: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.calls = new Counter({
      name: 'faxswitch_inbound_calls_total',
      help: 'Inbound fax calls by what the switch did: answered, or refused and why',
      labelNames: ['result'],
      registers,
    });
    this.activeCalls = new Gauge({
      name: 'faxswitch_inbound_active_calls',
      help: 'Inbound fax calls in progress on this node',
      registers,
    });
    this.faxes = new Counter({
      name: 'faxswitch_inbound_faxes_total',
      help: 'Received faxes by outcome (complete, partial, failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.pages = new Counter({
      name: 'faxswitch_inbound_pages_total',
      help: 'Received pages confirmed to the caller and stored encrypted',
      registers,
    });
    this.failures = new Counter({
      name: 'faxswitch_inbound_failures_total',
      help: 'Inbound faxes that did not complete, by T.30 completion code (or node_lost)',
      labelNames: ['reason'],
      registers,
    });
    this.emails = new Counter({
      name: 'faxswitch_fax_emails_total',
      help: 'Fax email attempts by result: accepted, temporary (retried later), permanent',
      labelNames: ['result'],
      registers,
    });
    this.deliverySeconds = new Histogram({
      name: 'faxswitch_fax_email_delivery_seconds',
      help: 'From the end of the fax call to the mail server accepting its email',
      buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600, 86_400],
      registers,
    });
  }

  refused(reason: CallRefusal): void {
    this.calls.inc({ result: `refused_${reason}` });
  }
}
