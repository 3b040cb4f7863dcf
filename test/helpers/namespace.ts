// A unique prefix per test for Redis keys and NATS subjects/streams, so tests sharing a server
// never see each other's data.
import { randomBytes } from 'node:crypto';

export function uniqueNamespace(label = 't'): string {
  return `${label.replace(/[^a-zA-Z0-9]/g, '').slice(0, 16) || 't'}${randomBytes(5).toString('hex')}`;
}
