// How CLI commands reach the cluster's NATS (for commands a node must carry out): NATS_URL when set,
// else the private nats-server of the node running on this machine (found through its state dir).
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { loadConfig } from '../config/index.ts';
import { readEndpoints } from '../local-services/index.ts';

export async function withNats<T>(use: (nats: NatsConnection) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const url = config.natsUrl?.href ?? readEndpoints(config.stateDir).natsUrl;
  const nats = await connect({ servers: url, name: 'faxswitch-cli', maxReconnectAttempts: 2 });
  try {
    return await use(nats);
  } finally {
    await nats.close();
  }
}
