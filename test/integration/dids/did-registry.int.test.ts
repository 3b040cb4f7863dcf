// The DID registry against a real redis-server: what an operator adds is what call set-up finds,
// bulk CSV round-trips, and bad rows are reported by line without losing the good ones.
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DidExistsError, DidNotFoundError, DidRegistry, InvalidDidError } from '../../../src/dids/index.ts';
import { makeTempDir, uniqueNamespace, useRedis } from '../../helpers/index.ts';

function chunksOf(text: string, size = 97): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
    })(),
  );
}

describe('DidRegistry', () => {
  const redis = useRedis();
  const registry = (): DidRegistry => new DidRegistry(redis.client(), { namespace: uniqueNamespace('did') });

  it('finds an added number in whatever form the carrier dials it', async () => {
    const dids = registry();
    await dids.add({ number: '+49 30 1234567', account: 'acme', recipients: ['fax@acme.example'] });
    for (const dialled of ['+49301234567', '49301234567', 'tel:+49-30-1234567']) {
      expect(await dids.lookup(dialled)).toEqual({
        number: '+49301234567',
        active: true,
        account: 'acme',
        recipients: ['fax@acme.example'],
        attachmentFormat: 'pdf',
        stationId: '+49301234567',
        retention: { days: 30 },
      });
    }
    expect(await dids.lookup('+49309999999')).toBeUndefined();
  });

  it('keeps an OpenPGP key it can encrypt to, and refuses one it cannot', async () => {
    const dids = registry();
    const home = makeTempDir('faxswitch-gpg-');
    const gpg = (...args: string[]): string =>
      execFileSync('gpg', ['--homedir', home, '--batch', '--quiet', ...args], { encoding: 'utf8' });
    gpg(
      '--passphrase',
      '',
      '--quick-gen-key',
      'Office <o@acme.example>',
      'future-default',
      'default',
      'never',
    );
    const key = gpg('--armor', '--export', 'o@acme.example');
    const added = await dids.add({
      number: '+15551230009',
      account: 'acme',
      recipients: ['o@acme.example'],
      pgpPublicKey: key,
    });
    expect(added.pgpPublicKey).toBe(key.trim());
    const broken = key.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
    await expect(
      dids.add({
        number: '+15551230010',
        account: 'acme',
        recipients: ['o@acme.example'],
        pgpPublicKey: broken,
      }),
    ).rejects.toThrow(/not a usable OpenPGP public key/);
    await expect(
      dids.add({
        number: '+15551230011',
        account: 'acme',
        recipients: ['o@acme.example'],
        pgpPublicKey: 'my key',
      }),
    ).rejects.toThrow(InvalidDidError);
  });

  it('refuses a duplicate, and updates or disables an existing number', async () => {
    const dids = registry();
    await dids.add({ number: '+15551230001', account: 'acme', recipients: ['a@acme.example'] });
    await expect(
      dids.add({ number: '+15551230001', account: 'x', recipients: ['b@x.example'] }),
    ).rejects.toThrow(DidExistsError);
    await dids.update('+15551230001', {
      recipients: ['a@acme.example', 'b@acme.example'],
      attachmentFormat: 'both',
    });
    await dids.update('+15551230001', { active: false });
    const stored = await dids.lookup('+15551230001');
    expect(stored?.recipients).toEqual(['a@acme.example', 'b@acme.example']);
    expect(stored?.attachmentFormat).toBe('both');
    expect(stored?.active).toBe(false);
    await expect(dids.update('+15551230002', { active: true })).rejects.toThrow(DidNotFoundError);
  });

  it('explains every problem with a bad record', async () => {
    const error = await registry()
      .add({
        number: '12',
        account: '',
        recipients: ['not-an-address'],
        retention: 'forever',
        webhookUrl: 'http://x.example',
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidDidError);
    expect((error as InvalidDidError).problems).toEqual([
      "'12' is not an E.164 number (+ and 7 to 15 digits)",
      "account '' must be 1–64 letters, digits, '.', '_' or '-'",
      "'not-an-address' is not an email address",
      "retention 'forever' must be a number of days (1–3650, e.g. 30d) or delete-after-delivery",
      "webhook 'http://x.example' must be an https:// URL (fax metadata crosses a network)",
    ]);
  });

  it('imports CSV, reports bad rows by line, and exports what it holds', async () => {
    const dids = registry();
    const csv = [
      'number,active,account,recipients,format,station_id,retention,webhook',
      '+4930100001,true,acme,a@acme.example;b@acme.example,both,+49 30 100001,90d,https://hooks.acme.example/fax',
      '+4930100002,false,acme,c@acme.example,,,delete-after-delivery,',
      'garbage,true,acme,c@acme.example,,,,',
      '+4930100003,maybe,acme,c@acme.example,,,,',
      '"+4930100004",yes,beta,"d@beta.example",tiff,,7,',
    ].join('\n');
    const result = await dids.importCsv(chunksOf(csv));
    expect(result.imported).toBe(3);
    expect(result.rejected).toBe(2);
    expect(result.rejections.map((r) => r.line)).toEqual([4, 5]);
    expect(result.rejections[0]?.error).toMatch(/not an E\.164 number/);
    expect(result.rejections[1]?.error).toMatch(/active 'maybe' must be true or false/);

    expect(await dids.list({ account: 'beta' })).toEqual([
      expect.objectContaining({ number: '+4930100004', attachmentFormat: 'tiff', retention: { days: 7 } }),
    ]);
    let exported = '';
    expect(await dids.exportCsv((text) => void (exported += text))).toBe(3);
    const reimported = registry();
    expect((await reimported.importCsv(chunksOf(exported))).imported).toBe(3);
    expect(await reimported.list()).toEqual(await dids.list());
  });

  it('imports 50,000 numbers in bounded batches and lists them in pages', async () => {
    const dids = registry();
    function* rows(): Generator<string> {
      yield 'number,account,recipients\n';
      for (let i = 0; i < 50_000; i++) yield `+1555${String(i).padStart(7, '0')},bulk,fax${i}@bulk.example\n`;
    }
    const result = await dids.importCsv(Readable.from(rows()));
    expect(result).toEqual({ imported: 50_000, rejected: 0, rejections: [] });
    expect(await dids.count()).toBe(50_000);
    const firstPage = await dids.list({ limit: 3 });
    expect(firstPage.map((r) => r.number)).toEqual(['+15550000000', '+15550000001', '+15550000002']);
    const nextPage = await dids.list({ after: '+15550000002', limit: 1 });
    expect(nextPage[0]?.recipients).toEqual(['fax3@bulk.example']);
  });
});
