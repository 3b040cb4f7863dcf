// Prometheus metrics of serial letters: letters by channel and result, recipients handed out.
import { Counter, type Registry } from 'prom-client';

export class CampaignMetrics {
  readonly letters: Counter<'channel' | 'result'>;
  readonly dispatched: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.letters = new Counter({
      name: 'faxswitch_campaign_letters_total',
      help: 'Serial-letter delivery attempts by channel (email, fax) and result (delivered, temporary, failed)',
      labelNames: ['channel', 'result'],
      registers,
    });
    this.dispatched = new Counter({
      name: 'faxswitch_campaign_recipients_dispatched_total',
      help: 'Campaign recipients handed to their own actors',
      registers,
    });
  }
}
