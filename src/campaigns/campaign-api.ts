// What operators ask any node about campaigns (over NodeApi): start a staged campaign — its settings
// stored and its actor created before the answer, so an acknowledged campaign is never lost — and
// pause, resume or cancel one, as events to its actor wherever it runs.
import { TerminalError, type ActorHost, type NodeApi } from '../../cluster/index.ts';
import type { CampaignSettings, CampaignStore } from './campaign-store.ts';
import { CAMPAIGN } from './campaign-effects.ts';

export type CampaignAction = 'pause' | 'resume' | 'cancel';

export const CAMPAIGN_API = { create: 'campaign.create', control: 'campaign.control' } as const;

/** Stores a staged campaign and creates its actor; resolves once both are durable. Idempotent. */
export async function startCampaign(
  host: ActorHost,
  store: CampaignStore,
  settings: CampaignSettings,
): Promise<{ campaignId: string; created: boolean }> {
  await store.create(settings);
  const { created } = await host.spawn(CAMPAIGN, settings.campaignId, {
    campaignId: settings.campaignId,
    createdAt: settings.createdAt,
  });
  return { campaignId: settings.campaignId, created };
}

export function registerCampaignApi(api: NodeApi, host: ActorHost, store: CampaignStore): void {
  api.handle(CAMPAIGN_API.create, (settings: CampaignSettings) => startCampaign(host, store, settings));

  api.handle(CAMPAIGN_API.control, async (request: { campaignId: string; action: CampaignAction }) => {
    if (!['pause', 'resume', 'cancel'].includes(request.action))
      throw new TerminalError(`'${request.action}' is not pause, resume or cancel`);
    if (!(await store.settings(request.campaignId)))
      throw new TerminalError(`no campaign ${request.campaignId}`);
    await host.send(request.campaignId, { type: request.action });
    return { campaignId: request.campaignId, action: request.action };
  });
}
