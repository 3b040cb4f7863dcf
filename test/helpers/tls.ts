// A throwaway self-signed certificate for localhost (made with openssl), for servers under test.
import { selfSignedCertificate } from '../../src/local-services/index.ts';
import { makeTempDir } from './services.ts';

export interface TestCertificate {
  readonly key: string;
  readonly cert: string;
}

let cached: TestCertificate | undefined;

export function localhostCertificate(): TestCertificate {
  cached ??= selfSignedCertificate({
    dir: makeTempDir('faxswitch-tls-'),
    names: ['localhost', '127.0.0.1'],
    days: 2,
  });
  return cached;
}
