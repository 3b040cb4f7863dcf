// Tells a number's webhook (an HTTPS URL from the DID registry) that a fax arrived and how its
// delivery went: metadata only, never content. Signed when a secret is configured
// (`X-Faxswitch-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, so a receiver can
// check origin and freshness). Best effort: a few quick attempts, then a warning in the log — a
// customer's web server being down must never hold up or undo a fax delivery.
import { createHmac } from 'node:crypto';
import type { Secret } from '../config/index.ts';
import type { Logger } from '../observability/index.ts';
import { faxSummary, type InboundFaxRecord } from './fax-records.ts';

const ATTEMPTS = 3;
const TIMEOUT_MS = 5_000;

export interface WebhookNotifierOptions {
  readonly secret: Secret | undefined;
  readonly logger: Logger;
  readonly clock?: () => number;
}

export class WebhookNotifier {
  readonly #options: WebhookNotifierOptions;

  constructor(options: WebhookNotifierOptions) {
    this.#options = options;
  }

  /** Posts the fax's outcome to its number's webhook, if it has one. */
  async faxReceived(record: InboundFaxRecord): Promise<void> {
    const url = record.webhookUrl;
    if (!url) return;
    const body = JSON.stringify({ event: 'fax.received', ...faxSummary(record), delivery: record.delivery });
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...this.#signature(body) },
          body,
          signal: AbortSignal.timeout(TIMEOUT_MS),
          redirect: 'error',
        });
        if (response.ok) return;
        // A 4xx says the receiver will not take it; retrying would not change its mind.
        if (response.status < 500) {
          this.#options.logger.warn(
            { faxId: record.faxId, status: response.status },
            'webhook refused the notification',
          );
          return;
        }
      } catch (error) {
        if (attempt === ATTEMPTS) {
          this.#options.logger.warn(
            { faxId: record.faxId, err: (error as Error).message },
            'webhook unreachable; notification dropped',
          );
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
    }
    this.#options.logger.warn({ faxId: record.faxId }, 'webhook kept failing; notification dropped');
  }

  #signature(body: string): Record<string, string> {
    const secret = this.#options.secret;
    if (!secret) return {};
    const timestamp = Math.floor((this.#options.clock ?? Date.now)() / 1000);
    const mac = createHmac('sha256', secret.reveal()).update(`${timestamp}.${body}`).digest('hex');
    return { 'x-faxswitch-signature': `t=${timestamp},v1=${mac}` };
  }
}
