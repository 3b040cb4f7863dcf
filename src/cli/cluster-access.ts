// How CLI commands reach the cluster beyond Redis: NATS (to ask any node to act, through NodeApi)
// and the encrypted archive (to stage documents a command hands over). REDIS_URL/NATS_URL and the
// archive settings when set; otherwise the node running on this machine (its state directory).
import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { requestNode } from '../../cluster/index.ts';
import { FaxArchive, FileBlobStore, loadOrCreateLocalKeyRing, parseKeyRing } from '../archive/index.ts';
import { loadConfig } from '../config/index.ts';
import { readEndpoints } from '../local-services/index.ts';
import { CLUSTER_PREFIX } from '../switch/index.ts';

export async function askNode<Result>(verb: string, request: unknown): Promise<Result> {
  const config = loadConfig();
  const url = config.natsUrl?.href ?? readEndpoints(config.stateDir).natsUrl;
  const nats: NatsConnection = await connect({
    servers: url,
    name: 'faxswitch-cli',
    maxReconnectAttempts: 2,
  });
  try {
    return await requestNode<Result>(nats, CLUSTER_PREFIX, verb, request);
  } finally {
    await nats.close();
  }
}

/** The archive as the nodes see it (same directory, same keys). */
export function clusterArchive(): FaxArchive {
  const config = loadConfig();
  const keys = config.archive.keysFile
    ? parseKeyRing(readFileSync(config.archive.keysFile, 'utf8'), config.archive.keysFile)
    : loadOrCreateLocalKeyRing(config.stateDir).ring;
  return new FaxArchive(new FileBlobStore(config.archive.dir), keys);
}
