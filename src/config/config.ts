// The compiled configuration of one faxswitch node: user input (environment) → defaults → validated
// values with units in their names. The only place the environment is read.
import os from 'node:os';
import path from 'node:path';
import type { RetryPolicy } from '../../actors/index.ts';
import { parseTrunkConfigs, SipConfigError, type TrunkConfig } from '../sip/index.ts';
import { ConfigError, EnvReader, Secret, type Environment, type HostPort } from './env-reader.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ClusterTimings {
  /** How long an actor's lease lives without renewal. */
  readonly leaseTtlMs: number;
  /** How often a lease is renewed. */
  readonly leaseRenewMs: number;
  /** How often a node announces it is alive. */
  readonly heartbeatMs: number;
  /** Silence after which peers declare a node dead and take over its actors. */
  readonly nodeDeadAfterMs: number;
}

/** A carrier trunk as configured: its password never prints (`faxswitch config`, logs). */
export type ConfiguredTrunk = Omit<TrunkConfig, 'password'> & { readonly password?: Secret };

/** SIP signalling: an embedded drachtio-compatible server, or a real drachtio-server beside the node. */
export interface SipSettings {
  /** Where the embedded server takes SIP (UDP and TCP); its address is announced in Contact. */
  readonly listen: HostPort;
  /** A drachtio-server to connect to instead of the embedded one. */
  readonly drachtio: { readonly host: string; readonly port: number; readonly secret: Secret } | undefined;
  /** Answer to a call for a number that is unknown or disabled. */
  readonly unknownDidStatus: 404 | 480 | 603;
  /** Seconds a caller is asked to wait (Retry-After) when the node is full. */
  readonly retryAfterSeconds: number;
  /** Carriers outbound faxes are dialled through, in the order they are tried. */
  readonly trunks: readonly ConfiguredTrunk[];
}

/** RTP/UDPTL media: the address SDP announces, the UDP port range and the node's channel cap. */
export interface MediaSettings {
  readonly address: string;
  readonly portMin: number;
  readonly portMax: number;
  readonly maxChannels: number;
  /** Media worker threads; undefined: one per core. */
  readonly workers: number | undefined;
}

/** Fax content at rest: a directory every node mounts, sealed with keys from a file or secret. */
export interface ArchiveSettings {
  readonly dir: string;
  /** `id:base64key` lines (first seals); undefined on one machine: a key generated in the state dir. */
  readonly keysFile: string | undefined;
}

/** Outgoing mail: the relay every email goes through, and what our emails say about themselves. */
export interface MailSettings {
  /** smtp://host:port (STARTTLS) or smtps://host:port; undefined: emails wait until one is configured. */
  readonly relay: URL | undefined;
  readonly username: string | undefined;
  readonly password: Secret | undefined;
  readonly requireTls: boolean;
  /** PEM file of extra CAs to trust for the relay. */
  readonly caFile: string | undefined;
  /** The fax domain: `<number>@<fax domain>` addresses, Message-IDs. */
  readonly faxDomain: string;
  readonly from: string;
  readonly dkim:
    | { readonly domainName: string; readonly keySelector: string; readonly privateKeyFile: string }
    | undefined;
  /** Signs webhook notifications (HMAC-SHA256); unsigned when absent. */
  readonly webhookSecret: Secret | undefined;
}

/** Email2Fax: the SMTP intake, how messages become fax pages, and how outbound jobs retry. */
export interface Email2FaxSettings {
  /** Submission (STARTTLS + AUTH); undefined when switched off. */
  readonly submissionListen: HostPort | undefined;
  /** MX (SPF/DKIM/DMARC-checked senders); undefined when switched off. */
  readonly mxListen: HostPort | undefined;
  /** The name the SMTP services greet with. */
  readonly smtpHostname: string;
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  /** Connections beyond this get 421 and try again later. */
  readonly maxClients: number;
  /** PEM certificate and key for STARTTLS; undefined: a self-signed pair made in the state dir. */
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** DNS servers (`host` or `host:port`) for SPF/DKIM/DMARC; empty: the system's. */
  readonly dnsServers: readonly string[];
  readonly resolution: 'standard' | 'fine';
  readonly paperSize: 'a4' | 'letter';
  /** Pages of one fax, all attachments together. */
  readonly maxPages: number;
  /** Calling number and station id for accounts that name none. */
  readonly callerId: string;
  /** Outbound calls per trunk this node runs at once (at most the trunk's channels). */
  readonly slotsPerTrunk: number;
  readonly retry: RetryPolicy;
  /** How long what worked for a number (T.38 or audio, speed, ECM) is remembered. */
  readonly destinationMemoryMs: number;
}

/** Serial letters. */
export interface CampaignSettings {
  /** Letters by email to one mail domain per second, across the cluster. */
  readonly emailsPerDomainPerSecond: number;
}

export interface Config {
  /** Stable name of this node (the pod name on Kubernetes). */
  readonly nodeName: string;
  /** Where local state lives: embedded Redis/NATS data, temporary media files. */
  readonly stateDir: string;
  readonly http: HostPort;
  /** Redis to use; when absent the node starts and supervises its own redis-server. */
  readonly redisUrl: URL | undefined;
  /** NATS to use; when absent the node starts and supervises its own nats-server with JetStream. */
  readonly natsUrl: URL | undefined;
  readonly logLevel: LogLevel;
  /** Time allowed between SIGTERM and exit (Kubernetes terminationGracePeriodSeconds minus margin). */
  readonly shutdownGraceMs: number;
  readonly cluster: ClusterTimings;
  readonly sip: SipSettings;
  readonly media: MediaSettings;
  readonly archive: ArchiveSettings;
  readonly mail: MailSettings;
  readonly email2fax: Email2FaxSettings;
  readonly campaigns: CampaignSettings;
}

/** Every variable the node reads, with what it means; the README's table is generated from this. */
export const ENVIRONMENT_VARIABLES = {
  FAXSWITCH_NODE_NAME: 'name of this node; default: POD_NAME, else the host name',
  FAXSWITCH_STATE_DIR: 'directory for local state (embedded Redis/NATS data); default ./var',
  FAXSWITCH_HTTP_LISTEN: 'address of the health/metrics/API listener; default 127.0.0.1:8080',
  REDIS_URL: 'redis://[:password@]host:port/db or rediss://…; unset: start a private redis-server',
  NATS_URL: 'nats://[user:password@]host:port or tls://…; unset: start a private nats-server -js',
  LOG_LEVEL: `one of ${LOG_LEVELS.join(', ')}; default info`,
  FAXSWITCH_SHUTDOWN_GRACE: 'time from SIGTERM to exit, e.g. 25s; default 25s',
  FAXSWITCH_LEASE_TTL: 'actor lease lifetime; default 3s',
  FAXSWITCH_LEASE_RENEW: 'actor lease renewal interval; default 1s (must be under a third of the TTL)',
  FAXSWITCH_HEARTBEAT: 'node heartbeat interval; default 1s',
  FAXSWITCH_NODE_DEAD_AFTER: 'heartbeat silence after which a node is dead; default 3s',
  FAXSWITCH_SIP_LISTEN: 'SIP (UDP+TCP) of the embedded SIP server, host:port; default 127.0.0.1:5060',
  DRACHTIO_URL: 'drachtio://:secret@host:port of a drachtio-server to use instead of the embedded one',
  FAXSWITCH_UNKNOWN_DID_STATUS:
    'SIP status for a call to an unknown or disabled number: 404 (default), 480 or 603',
  FAXSWITCH_MEDIA_ADDRESS: 'address media sockets bind to and SDP announces; default the SIP listen host',
  FAXSWITCH_MEDIA_PORTS: 'UDP port range for RTP/UDPTL, MIN-MAX; default 20000-29999',
  FAXSWITCH_MAX_CHANNELS: 'concurrent fax calls this node takes (more get 503); default 500',
  FAXSWITCH_MEDIA_WORKERS: 'media worker threads; default one per core',
  FAXSWITCH_ARCHIVE_DIR: 'encrypted fax archive, shared by all nodes; default <state dir>/archive',
  FAXSWITCH_ARCHIVE_KEYS_FILE:
    'archive keys (id:base64 lines, first seals); default a key made in the state dir',
  FAXSWITCH_SMTP_RELAY:
    'smtp://host:port (STARTTLS) or smtps://host:port for outgoing mail; unset: mail waits',
  FAXSWITCH_SMTP_USER: 'relay login',
  FAXSWITCH_SMTP_PASSWORD: 'relay password',
  FAXSWITCH_SMTP_REQUIRE_TLS: 'refuse to send mail in clear (default true)',
  FAXSWITCH_SMTP_CA_FILE: 'PEM file of CAs to trust for the relay',
  FAXSWITCH_FAX_DOMAIN: 'the fax domain (<number>@<domain>, Message-IDs); default fax.localhost',
  FAXSWITCH_MAIL_FROM: 'From address of fax and status emails; default fax@<fax domain>',
  FAXSWITCH_DKIM_DOMAIN: 'DKIM signing domain (with FAXSWITCH_DKIM_SELECTOR and FAXSWITCH_DKIM_KEY_FILE)',
  FAXSWITCH_DKIM_SELECTOR: 'DKIM selector',
  FAXSWITCH_DKIM_KEY_FILE: 'PEM file of the DKIM private key',
  FAXSWITCH_SIP_TRUNKS:
    'JSON array of outbound trunks [{"name","proxy","username","password","codecs","t38Policy","maxChannels","callsPerSecond","setupTimeoutMs","answerTimeoutMs"}]; none: no outbound faxes',
  FAXSWITCH_SMTP_SUBMISSION_LISTEN:
    'Email2Fax submission (STARTTLS + AUTH), host:port or off; default 127.0.0.1:2587',
  FAXSWITCH_SMTP_MX_LISTEN: 'Email2Fax MX (SPF/DKIM/DMARC senders), host:port or off; default 127.0.0.1:2525',
  FAXSWITCH_SMTP_HOSTNAME: 'name the SMTP services greet with; default the fax domain',
  FAXSWITCH_SMTP_TLS_CERT_FILE:
    'PEM certificate for STARTTLS (with FAXSWITCH_SMTP_TLS_KEY_FILE); default a self-signed one in the state dir',
  FAXSWITCH_SMTP_TLS_KEY_FILE: 'PEM private key for STARTTLS',
  FAXSWITCH_SMTP_MAX_MESSAGE_MB: 'largest message the intake takes (552 beyond); default 25',
  FAXSWITCH_SMTP_MAX_RECIPIENTS: 'fax numbers per message; default 50',
  FAXSWITCH_SMTP_MAX_CLIENTS: 'SMTP connections at once (421 beyond); default 100',
  FAXSWITCH_DNS_SERVERS:
    'DNS servers for SPF/DKIM/DMARC, comma-separated host[:port]; default the system resolver',
  FAXSWITCH_FAX_RESOLUTION: 'outbound page resolution: standard or fine (default)',
  FAXSWITCH_FAX_PAPER: 'outbound paper size: a4 (default) or letter',
  FAXSWITCH_FAX_MAX_PAGES: 'pages of one outbound fax; default 350',
  FAXSWITCH_CALLER_ID:
    'calling number and station id of outbound faxes whose account names none; default anonymous',
  FAXSWITCH_OUTBOUND_SLOTS: 'outbound calls per trunk this node runs at once; default FAXSWITCH_MAX_CHANNELS',
  FAXSWITCH_RETRY_BUSY: 'wait before redialling a busy number; default 180s',
  FAXSWITCH_RETRY_NO_ANSWER: 'wait before redialling a number that did not answer; default 300s',
  FAXSWITCH_RETRY_PROTOCOL_ERROR: 'wait after a failed or dropped fax; default 60s',
  FAXSWITCH_RETRY_CONGESTION: 'wait after carrier congestion without Retry-After; default 60s',
  FAXSWITCH_MAX_TRIES: 'connected calls before a job gives up; default 3',
  FAXSWITCH_MAX_DIALS: 'dial attempts before a job gives up; default 12',
  FAXSWITCH_MAX_PAGE_FAILURES: 'failures on the same page before a job gives up; default 3',
  FAXSWITCH_JOB_KILL_AFTER: 'time after submission when a job gives up; default 3h',
  FAXSWITCH_DESTINATION_MEMORY: 'how long what worked for a number is remembered; default 720h',
  FAXSWITCH_CAMPAIGN_DOMAIN_RATE: 'campaign emails per second to one mail domain, cluster-wide; default 50',
  FAXSWITCH_WEBHOOK_SECRET:
    'secret that signs DID webhook notifications (X-Faxswitch-Signature); unsigned when unset',
} as const;

export function loadConfig(env: Environment = process.env): Config {
  const read = new EnvReader(env);
  const cluster: ClusterTimings = {
    leaseTtlMs: read.durationMs('FAXSWITCH_LEASE_TTL', 3_000, { minMs: 500, maxMs: 60_000 }),
    leaseRenewMs: read.durationMs('FAXSWITCH_LEASE_RENEW', 1_000, { minMs: 100, maxMs: 20_000 }),
    heartbeatMs: read.durationMs('FAXSWITCH_HEARTBEAT', 1_000, { minMs: 100, maxMs: 20_000 }),
    nodeDeadAfterMs: read.durationMs('FAXSWITCH_NODE_DEAD_AFTER', 3_000, { minMs: 300, maxMs: 120_000 }),
  };
  const stateDir = path.resolve(read.string('FAXSWITCH_STATE_DIR', 'var'));
  const sipListen = read.hostPort('FAXSWITCH_SIP_LISTEN', { host: '127.0.0.1', port: 5060 });
  const faxDomain = read.domain('FAXSWITCH_FAX_DOMAIN', 'fax.localhost');
  const mediaPorts = read.portRange('FAXSWITCH_MEDIA_PORTS', { min: 20_000, max: 29_999 });
  const config: Config = {
    nodeName: read.string('FAXSWITCH_NODE_NAME', read.string('POD_NAME', os.hostname())),
    stateDir,
    http: read.hostPort('FAXSWITCH_HTTP_LISTEN', { host: '127.0.0.1', port: 8080 }),
    redisUrl: read.optionalUrl('REDIS_URL', ['redis', 'rediss']),
    natsUrl: read.optionalUrl('NATS_URL', ['nats', 'tls']),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    shutdownGraceMs: read.durationMs('FAXSWITCH_SHUTDOWN_GRACE', 25_000, { minMs: 1_000, maxMs: 600_000 }),
    cluster,
    sip: {
      listen: sipListen,
      drachtio: read.drachtioUrl('DRACHTIO_URL'),
      unknownDidStatus: Number(read.oneOf('FAXSWITCH_UNKNOWN_DID_STATUS', ['404', '480', '603'], '404')) as
        404 | 480 | 603,
      retryAfterSeconds: 30,
      trunks: trunkSettings(read),
    },
    media: {
      address: read.string('FAXSWITCH_MEDIA_ADDRESS', sipListen.host),
      portMin: mediaPorts.min,
      portMax: mediaPorts.max,
      maxChannels: read.integer('FAXSWITCH_MAX_CHANNELS', 500, { min: 1, max: 10_000 }),
      workers: read.optionalInteger('FAXSWITCH_MEDIA_WORKERS', { min: 1, max: 64 }),
    },
    archive: {
      dir: path.resolve(read.string('FAXSWITCH_ARCHIVE_DIR', path.join(stateDir, 'archive'))),
      keysFile: read.optionalString('FAXSWITCH_ARCHIVE_KEYS_FILE'),
    },
    mail: {
      relay: read.optionalUrl('FAXSWITCH_SMTP_RELAY', ['smtp', 'smtps']),
      username: read.optionalString('FAXSWITCH_SMTP_USER'),
      password: read.optionalSecret('FAXSWITCH_SMTP_PASSWORD'),
      requireTls: read.boolean('FAXSWITCH_SMTP_REQUIRE_TLS', true),
      caFile: read.optionalString('FAXSWITCH_SMTP_CA_FILE'),
      faxDomain,
      from: read.string('FAXSWITCH_MAIL_FROM', `fax@${faxDomain}`),
      dkim: dkimSettings(read),
      webhookSecret: read.optionalSecret('FAXSWITCH_WEBHOOK_SECRET'),
    },
    email2fax: email2faxSettings(read, faxDomain),
    campaigns: {
      emailsPerDomainPerSecond: read.integer('FAXSWITCH_CAMPAIGN_DOMAIN_RATE', 50, { min: 1, max: 100_000 }),
    },
  };
  read.assertValid();
  assertCoherent(config);
  return config;
}

function trunkSettings(read: EnvReader): ConfiguredTrunk[] {
  const json = read.optionalString('FAXSWITCH_SIP_TRUNKS');
  if (json === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    // The text may hold passwords: say where it broke, never what it says.
    read.problem(
      `FAXSWITCH_SIP_TRUNKS is not valid JSON (${(error as Error).message.replace(/".*"/g, '…')})`,
    );
    return [];
  }
  try {
    return parseTrunkConfigs(value, 'FAXSWITCH_SIP_TRUNKS').map(({ password, ...trunk }) => ({
      ...trunk,
      ...(password === undefined ? {} : { password: new Secret(password) }),
    }));
  } catch (error) {
    if (!(error instanceof SipConfigError)) throw error;
    read.problem(error.message);
    return [];
  }
}

const MINUTE_MS = 60_000;

function email2faxSettings(read: EnvReader, faxDomain: string): Email2FaxSettings {
  const retry = (name: string, fallbackMs: number): number =>
    read.durationMs(name, fallbackMs, { minMs: 100, maxMs: 24 * 60 * MINUTE_MS });
  const certFile = read.optionalString('FAXSWITCH_SMTP_TLS_CERT_FILE');
  const keyFile = read.optionalString('FAXSWITCH_SMTP_TLS_KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined))
    read.problem(
      'FAXSWITCH_SMTP_TLS_CERT_FILE and FAXSWITCH_SMTP_TLS_KEY_FILE go together: set both or neither',
    );
  return {
    submissionListen: read.optionalHostPort('FAXSWITCH_SMTP_SUBMISSION_LISTEN', {
      host: '127.0.0.1',
      port: 2587,
    }),
    mxListen: read.optionalHostPort('FAXSWITCH_SMTP_MX_LISTEN', { host: '127.0.0.1', port: 2525 }),
    smtpHostname: read.domain('FAXSWITCH_SMTP_HOSTNAME', faxDomain),
    maxMessageBytes: read.integer('FAXSWITCH_SMTP_MAX_MESSAGE_MB', 25, { min: 1, max: 500 }) * 1024 * 1024,
    maxRecipients: read.integer('FAXSWITCH_SMTP_MAX_RECIPIENTS', 50, { min: 1, max: 1_000 }),
    maxClients: read.integer('FAXSWITCH_SMTP_MAX_CLIENTS', 100, { min: 1, max: 100_000 }),
    tlsCertFile: certFile,
    tlsKeyFile: keyFile,
    dnsServers: read.list('FAXSWITCH_DNS_SERVERS', /^[A-Za-z0-9.:[\]-]+$/, 'host or host:port'),
    resolution: read.oneOf('FAXSWITCH_FAX_RESOLUTION', ['standard', 'fine'], 'fine'),
    paperSize: read.oneOf('FAXSWITCH_FAX_PAPER', ['a4', 'letter'], 'a4'),
    maxPages: read.integer('FAXSWITCH_FAX_MAX_PAGES', 350, { min: 1, max: 10_000 }),
    callerId: read.string('FAXSWITCH_CALLER_ID', 'anonymous'),
    slotsPerTrunk: read.integer(
      'FAXSWITCH_OUTBOUND_SLOTS',
      read.integer('FAXSWITCH_MAX_CHANNELS', 500, { min: 1, max: 10_000 }),
      { min: 1, max: 10_000 },
    ),
    retry: {
      busyRetryMs: retry('FAXSWITCH_RETRY_BUSY', 3 * MINUTE_MS),
      noAnswerRetryMs: retry('FAXSWITCH_RETRY_NO_ANSWER', 5 * MINUTE_MS),
      protocolErrorRetryMs: retry('FAXSWITCH_RETRY_PROTOCOL_ERROR', MINUTE_MS),
      congestionRetryMs: retry('FAXSWITCH_RETRY_CONGESTION', MINUTE_MS),
      maxTries: read.integer('FAXSWITCH_MAX_TRIES', 3, { min: 1, max: 100 }),
      maxDials: read.integer('FAXSWITCH_MAX_DIALS', 12, { min: 1, max: 1_000 }),
      maxFailuresOnSamePage: read.integer('FAXSWITCH_MAX_PAGE_FAILURES', 3, { min: 1, max: 100 }),
      killAfterMs: read.durationMs('FAXSWITCH_JOB_KILL_AFTER', 180 * MINUTE_MS, {
        minMs: MINUTE_MS,
        maxMs: 30 * 24 * 60 * MINUTE_MS,
      }),
    },
    destinationMemoryMs: read.durationMs('FAXSWITCH_DESTINATION_MEMORY', 720 * 60 * MINUTE_MS, {
      minMs: MINUTE_MS,
      maxMs: 365 * 24 * 60 * MINUTE_MS,
    }),
  };
}

function dkimSettings(read: EnvReader): MailSettings['dkim'] {
  const domainName = read.optionalString('FAXSWITCH_DKIM_DOMAIN');
  const keySelector = read.optionalString('FAXSWITCH_DKIM_SELECTOR');
  const privateKeyFile = read.optionalString('FAXSWITCH_DKIM_KEY_FILE');
  if (domainName === undefined && keySelector === undefined && privateKeyFile === undefined) return undefined;
  if (domainName === undefined || keySelector === undefined || privateKeyFile === undefined) {
    read.problem(
      'FAXSWITCH_DKIM_DOMAIN, FAXSWITCH_DKIM_SELECTOR and FAXSWITCH_DKIM_KEY_FILE go together: set all three or none',
    );
    return undefined;
  }
  return { domainName, keySelector, privateKeyFile };
}

/** Rules between variables, which no single reader can check. */
function assertCoherent(config: Config): void {
  const problems: string[] = [];
  const { leaseTtlMs, leaseRenewMs, heartbeatMs, nodeDeadAfterMs } = config.cluster;
  if (leaseRenewMs * 3 > leaseTtlMs) {
    problems.push(
      `FAXSWITCH_LEASE_RENEW (${leaseRenewMs}ms) must be at most a third of FAXSWITCH_LEASE_TTL (${leaseTtlMs}ms), so two renewals can fail before the lease lapses`,
    );
  }
  if (heartbeatMs * 2 > nodeDeadAfterMs) {
    problems.push(
      `FAXSWITCH_NODE_DEAD_AFTER (${nodeDeadAfterMs}ms) must be at least twice FAXSWITCH_HEARTBEAT (${heartbeatMs}ms)`,
    );
  }
  // Media ports are even (RTCP's odd neighbour stays free), and a call holds two at its switch from
  // audio to T.38.
  if (config.media.portMax - config.media.portMin + 1 < config.media.maxChannels * 4) {
    problems.push(
      `FAXSWITCH_MEDIA_PORTS (${config.media.portMin}-${config.media.portMax}) is too small for FAXSWITCH_MAX_CHANNELS=${config.media.maxChannels}: each call needs two even ports (audio, then T.38), so at least ${config.media.maxChannels * 4} ports`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
