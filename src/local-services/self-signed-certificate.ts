// A self-signed TLS certificate kept in a directory, made with openssl the first time it is asked
// for: enough to try STARTTLS on one machine and in tests; real deployments configure their own.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { findExecutable } from './managed-process.ts';

export interface SelfSignedCertificate {
  readonly key: string;
  readonly cert: string;
  readonly certFile: string;
  /** False when an earlier run had made it already. */
  readonly created: boolean;
}

/** `names`: host names and IP addresses it is for; the first is also its common name. */
export function selfSignedCertificate(options: {
  readonly dir: string;
  readonly names: readonly string[];
  readonly days: number;
}): SelfSignedCertificate {
  const keyFile = path.join(options.dir, 'key.pem');
  const certFile = path.join(options.dir, 'cert.pem');
  const created = !existsSync(keyFile) || !existsSync(certFile);
  if (created) {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    const altNames = [...new Set(options.names)].map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`));
    execFileSync(
      findExecutable('openssl', 'openssl'),
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        String(options.days),
        '-subj',
        `/CN=${options.names[0] ?? 'localhost'}`,
        '-addext',
        `subjectAltName=${altNames.join(',')}`,
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    );
  }
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile, created };
}
