// The SMTP listeners of Email2Fax on this node: submission (STARTTLS + AUTH) and MX (SPF/DKIM/DMARC),
// as src/email builds them, with this node's certificate and DNS. Without a configured certificate
// a self-signed one is made once in the state directory (fine for trying it on one machine; mail
// clients must be told to trust it). DNS for sender checks is the system's unless servers are named.
import { readFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { SMTPServer } from 'smtp-server';
import type { DNSResolver } from 'mailauth';
import {
  createMxServer,
  createSubmissionServer,
  type IntakePorts,
  type Preflight,
  type SmtpIntakeOptions,
} from '../email/index.ts';
import { selfSignedCertificate } from '../local-services/index.ts';
import type { Logger } from '../observability/index.ts';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface IntakeSettings {
  /** Where each service listens; undefined switches it off. */
  readonly submission: ListenAddress | undefined;
  readonly mx: ListenAddress | undefined;
  readonly hostname: string;
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  readonly maxClients: number;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  /** `host` or `host:port` of DNS servers for SPF/DKIM/DMARC; empty: the system's. */
  readonly dnsServers: readonly string[];
}

export interface RunningIntake {
  readonly submission: ListenAddress | undefined;
  readonly mx: ListenAddress | undefined;
  close(): Promise<void>;
}

export async function startIntake<Prepared extends Preflight>(
  settings: IntakeSettings,
  common: { readonly faxDomain: string; readonly stateDir: string; readonly logger: Logger },
  ports: Omit<IntakePorts<Prepared>, 'resolver'>,
): Promise<RunningIntake> {
  const options: SmtpIntakeOptions = {
    faxDomain: common.faxDomain,
    hostname: settings.hostname,
    tls: loadOrCreateCertificate(settings, common.stateDir, common.logger),
    maxMessageBytes: settings.maxMessageBytes,
    maxRecipients: settings.maxRecipients,
    maxClients: settings.maxClients,
  };
  const withDns: IntakePorts<Prepared> =
    settings.dnsServers.length > 0 ? { ...ports, resolver: dnsResolver(settings.dnsServers) } : ports;
  const servers: SMTPServer[] = [];
  const listen = async (
    create: typeof createSubmissionServer,
    at: ListenAddress | undefined,
  ): Promise<ListenAddress | undefined> => {
    if (!at) return undefined;
    const server = create(options, withDns);
    server.on('error', (error) => common.logger.warn({ err: error }, 'SMTP session error'));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(at.port, at.host, () => resolve());
    });
    servers.push(server);
    return { host: at.host, port: (server.server.address() as AddressInfo).port };
  };
  try {
    const submission = await listen(createSubmissionServer, settings.submission);
    const mx = await listen(createMxServer, settings.mx);
    return {
      submission,
      mx,
      close: () =>
        Promise.all(
          servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
        ).then(() => undefined),
    };
  } catch (error) {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    throw error;
  }
}

function dnsResolver(servers: readonly string[]): DNSResolver {
  const resolver = new Resolver({ timeout: 3_000, tries: 2 });
  resolver.setServers([...servers]);
  return (name, type) => resolver.resolve(name, type) as Promise<string[][] | string[]>;
}

/** The configured certificate, or a self-signed one kept in the state directory. */
function loadOrCreateCertificate(
  settings: IntakeSettings,
  stateDir: string,
  logger: Logger,
): { key: string; cert: string } {
  if (settings.certFile && settings.keyFile)
    return { key: readFileSync(settings.keyFile, 'utf8'), cert: readFileSync(settings.certFile, 'utf8') };
  const made = selfSignedCertificate({
    dir: path.join(stateDir, 'tls'),
    names: [settings.hostname, 'localhost', '127.0.0.1'],
    days: 825,
  });
  if (made.created)
    logger.warn(
      { certFile: made.certFile },
      'made a self-signed certificate for SMTP STARTTLS; set FAXSWITCH_SMTP_TLS_CERT_FILE and FAXSWITCH_SMTP_TLS_KEY_FILE for mail clients to trust',
    );
  return made;
}
