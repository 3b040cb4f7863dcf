// The effects of the inbound fax call machine: `receiveFax` waits for the call on this node (or
// reports it lost), `handOver` records how the call ended and starts the email delivery.
import type { HandOverParams } from '../../actors/index.ts';
import { TerminalError, type ActorHost } from '../../cluster/index.ts';
import type { FaxRecords } from './fax-records.ts';
import type { InboundMetrics } from './inbound-metrics.ts';
import { deliveryActorId } from './object-ids.ts';
import type { WebhookNotifier } from './webhook.ts';
import { INBOUND_FAX_CALL, type FaxReception } from './reception.ts';

export const FAX_EMAIL_DELIVERY = 'fax-email-delivery';

export interface CallEffectsOptions {
  readonly host: ActorHost;
  readonly reception: FaxReception;
  readonly records: FaxRecords;
  readonly metrics: InboundMetrics;
  readonly webhooks: WebhookNotifier;
  readonly clock?: () => number;
}

export function registerCallEffects(options: CallEffectsOptions): void {
  const { host, reception, records, metrics } = options;
  const clock = options.clock ?? Date.now;

  host.registerEffect(INBOUND_FAX_CALL, 'receiveFax', async ({ params }) => {
    const { faxId } = params as { faxId: string };
    const outcome = await reception.outcomeOf(faxId);
    if (outcome.kind === 'lost') metrics.failures.inc({ reason: 'node_lost' });
    return outcome;
  });

  host.registerEffect(INBOUND_FAX_CALL, 'handOver', async ({ params }) => {
    const received = params as HandOverParams;
    let firstTime = false;
    const record = await records.update(received.faxId, (current) => {
      // A repeated hand-over (after a takeover) must not undo what the delivery has recorded since.
      if (current.status !== 'receiving') return current;
      firstTime = true;
      return {
        ...current,
        status: received.pages.length > 0 ? 'delivering' : 'failed',
        reception: {
          outcome: received.outcome,
          pages: received.pages,
          remoteStationId: received.remoteStationId,
          durationMs: received.durationMs,
          bitRate: received.bitRate,
          ecm: received.ecm,
          result: received.result,
          endedAt: received.receivedAt + received.durationMs,
        },
      };
    });
    if (!record) throw new TerminalError(`fax ${received.faxId} has no record`);
    if (firstTime) metrics.faxes.inc({ outcome: received.outcome });
    // A call that ended without one page has nothing to deliver; its record (and webhook) say so.
    if (received.pages.length === 0) {
      if (firstTime) await options.webhooks.faxReceived(record);
      return null;
    }
    await host.spawn(FAX_EMAIL_DELIVERY, deliveryActorId(received.faxId), {
      faxId: received.faxId,
      handedOverAt: clock(),
      deleteAfterDelivery: record.retention === 'delete-after-delivery',
    });
    return null;
  });
}
