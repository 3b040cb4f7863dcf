import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDurationMs, Secret } from '../../../src/config/index.ts';

describe('loadConfig', () => {
  it('compiles sensible single-machine defaults from an empty environment', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.redisUrl).toBeUndefined();
    expect(config.natsUrl).toBeUndefined();
    expect(config.cluster).toEqual({
      leaseTtlMs: 3_000,
      leaseRenewMs: 1_000,
      heartbeatMs: 1_000,
      nodeDeadAfterMs: 3_000,
    });
    expect(config.stateDir.endsWith('/var')).toBe(true);
  });

  it('reads units written the way people write them', () => {
    const config = loadConfig({
      FAXSWITCH_LEASE_TTL: '6s',
      FAXSWITCH_LEASE_RENEW: '1500ms',
      FAXSWITCH_SHUTDOWN_GRACE: '2m',
      FAXSWITCH_HTTP_LISTEN: ':9090',
      REDIS_URL: 'redis://:pw@redis.example:6380/2',
      NATS_URL: 'tls://nats.example:4222',
    });
    expect(config.cluster.leaseTtlMs).toBe(6_000);
    expect(config.cluster.leaseRenewMs).toBe(1_500);
    expect(config.shutdownGraceMs).toBe(120_000);
    expect(config.http).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(config.redisUrl?.port).toBe('6380');
    expect(config.natsUrl?.protocol).toBe('tls:');
  });

  it('names every wrong variable and what it accepts, all at once', () => {
    let error: unknown;
    try {
      loadConfig({
        LOG_LEVEL: 'loud',
        FAXSWITCH_LEASE_TTL: 'soon',
        REDIS_URL: 'http://x',
        FAXSWITCH_HTTP_LISTEN: 'nope',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(
      /LOG_LEVEL="loud" is not accepted: expected one of fatal, error, warn/,
    );
    expect(problems.join('\n')).toMatch(/FAXSWITCH_LEASE_TTL="soon" .* written like 250ms, 3s/);
    expect(problems.join('\n')).toMatch(/REDIS_URL="http:\/\/x" .*schemes: redis, rediss/);
    expect(problems.join('\n')).toMatch(/FAXSWITCH_HTTP_LISTEN="nope" .* host:port/);
  });

  it('refuses timings that would let a healthy node lose its leases', () => {
    expect(() => loadConfig({ FAXSWITCH_LEASE_TTL: '2s', FAXSWITCH_LEASE_RENEW: '1s' })).toThrow(
      /FAXSWITCH_LEASE_RENEW \(1000ms\) must be at most a third of FAXSWITCH_LEASE_TTL \(2000ms\)/,
    );
  });
});

describe('Email2Fax configuration', () => {
  it('runs on one machine by default: loopback SMTP on high ports, HylaFAX retry defaults, no trunk', () => {
    const config = loadConfig({});
    expect(config.email2fax.submissionListen).toEqual({ host: '127.0.0.1', port: 2587 });
    expect(config.email2fax.mxListen).toEqual({ host: '127.0.0.1', port: 2525 });
    expect(config.email2fax.retry).toEqual({
      busyRetryMs: 180_000,
      noAnswerRetryMs: 300_000,
      protocolErrorRetryMs: 60_000,
      congestionRetryMs: 60_000,
      maxTries: 3,
      maxDials: 12,
      maxFailuresOnSamePage: 3,
      killAfterMs: 3 * 3_600_000,
    });
    expect(config.sip.trunks).toEqual([]);
  });

  it('reads trunks from JSON and never prints their passwords', () => {
    const config = loadConfig({
      FAXSWITCH_SIP_TRUNKS: JSON.stringify([
        { name: 'carrier', proxy: 'sip.example:5060', username: 'fax', password: 'hunter2-trunk' },
      ]),
      FAXSWITCH_SMTP_MX_LISTEN: 'off',
      FAXSWITCH_RETRY_BUSY: '2m',
    });
    expect(config.sip.trunks[0]).toMatchObject({ name: 'carrier', maxChannels: 30, username: 'fax' });
    expect(config.sip.trunks[0]?.password?.reveal()).toBe('hunter2-trunk');
    expect(JSON.stringify(config)).not.toContain('hunter2-trunk');
    expect(config.email2fax.mxListen).toBeUndefined();
    expect(config.email2fax.retry.busyRetryMs).toBe(120_000);
  });

  it('names a broken trunk list without echoing it', () => {
    expect(() => loadConfig({ FAXSWITCH_SIP_TRUNKS: '[{"name":"a","password":"s3cret' })).toThrow(
      /FAXSWITCH_SIP_TRUNKS is not valid JSON/,
    );
    expect(() => loadConfig({ FAXSWITCH_SIP_TRUNKS: '[{"name":"a","password":"s3cret' })).not.toThrow(
      /s3cret/,
    );
    expect(() => loadConfig({ FAXSWITCH_SIP_TRUNKS: '[{"name":"a"}]' })).toThrow(
      /FAXSWITCH_SIP_TRUNKS\[0\]\.proxy/,
    );
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['250', 250],
    ['250ms', 250],
    ['3s', 3_000],
    ['1.5s', 1_500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['3 days', undefined],
    ['-1s', undefined],
  ])('%s → %s', (text, expected) => {
    expect(parseDurationMs(text)).toBe(expected);
  });
});

describe('Secret', () => {
  it('never prints its value, whichever way it is turned into text', () => {
    const secret = new Secret('hunter2');
    expect(String(secret)).toBe('[redacted]');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
    expect(secret.reveal()).toBe('hunter2');
  });
});
