// faxswitch nodes as separate processes (`faxswitch start`), several sharing one Redis, one NATS,
// one archive directory and one archive key file — a cluster on one machine — with SIP on a free
// loopback port, a media port range of their own, and mail going to a test SMTP server over STARTTLS.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { findFreePort } from '../../src/local-services/index.ts';
import { startNodeProcess, type NodeProcess } from './node-process.ts';
import { makeTempDir, startNats, startRedis, type TestServer } from './services.ts';
import type { SmtpSink } from './smtp-sink.ts';

export interface FaxCluster {
  readonly redis: TestServer;
  readonly nats: TestServer;
  /** What every node of the cluster shares. */
  readonly env: NodeJS.ProcessEnv;
  dispose(): Promise<void>;
}

export async function startFaxCluster(mail: SmtpSink): Promise<FaxCluster> {
  const [redis, nats] = await Promise.all([startRedis(), startNats()]);
  const shared = makeTempDir('faxswitch-cluster-');
  const keysFile = path.join(shared, 'archive-keys');
  writeFileSync(keysFile, `test-key:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const caFile = path.join(shared, 'mail-ca.pem');
  writeFileSync(caFile, mail.ca);
  return {
    redis,
    nats,
    env: {
      REDIS_URL: redis.url,
      NATS_URL: nats.url,
      FAXSWITCH_ARCHIVE_DIR: path.join(shared, 'archive'),
      FAXSWITCH_ARCHIVE_KEYS_FILE: keysFile,
      FAXSWITCH_SMTP_RELAY: mail.url.href,
      FAXSWITCH_SMTP_CA_FILE: caFile,
      FAXSWITCH_FAX_DOMAIN: 'fax.example.net',
      LOG_LEVEL: 'info',
    },
    async dispose() {
      await Promise.all([redis.dispose(), nats.dispose()]);
    },
  };
}

export interface FaxNode extends NodeProcess {
  readonly name: string;
  /** `sip:<number>@127.0.0.1:<port>`: where a caller dials this node. */
  sipUri(number: string): string;
}

let nextMediaBase = 40_000 + Math.floor(Math.random() * 50) * 400;

export async function startFaxNode(
  cluster: FaxCluster,
  name: string,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<FaxNode> {
  const sipPort = await findFreePort('127.0.0.1');
  const mediaBase = nextMediaBase;
  nextMediaBase = nextMediaBase + 400 > 64_000 ? 40_000 : nextMediaBase + 400;
  const node = await startNodeProcess({
    ...cluster.env,
    FAXSWITCH_NODE_NAME: name,
    FAXSWITCH_SIP_LISTEN: `127.0.0.1:${sipPort}`,
    FAXSWITCH_MEDIA_PORTS: `${mediaBase}-${mediaBase + 399}`,
    FAXSWITCH_MAX_CHANNELS: '20',
    // Email2Fax listens on free ports unless a test asks for it (SMTP_*_LISTEN in extraEnv).
    FAXSWITCH_SMTP_SUBMISSION_LISTEN: '127.0.0.1:0',
    FAXSWITCH_SMTP_MX_LISTEN: '127.0.0.1:0',
    ...extraEnv,
  });
  return { ...node, name, sipUri: (number) => `sip:${number}@127.0.0.1:${sipPort}` };
}

/** The ports a node's Email2Fax SMTP services took (from its start-up log). */
export function smtpPorts(node: NodeProcess): { submission: number; mx: number } {
  for (const line of node.output().split('\n')) {
    if (!line.includes('"Email2Fax started"')) continue;
    const started = JSON.parse(line) as { submission: { port: number }; mx: { port: number } };
    return { submission: started.submission.port, mx: started.mx.port };
  }
  throw new Error('the node has not logged "Email2Fax started"');
}
