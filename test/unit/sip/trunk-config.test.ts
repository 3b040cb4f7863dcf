import { describe, expect, it } from 'vitest';
import { parseTrunkConfigs, SipConfigError } from '../../../src/sip/index.ts';

const SOURCE = 'FAXSWITCH_SIP_TRUNKS';

describe('trunk configuration', () => {
  it('applies defaults and keeps what was given', () => {
    const [trunk] = parseTrunkConfigs(
      [
        {
          name: 'carrier-a',
          proxy: 'sip:203.0.113.10:5060;transport=tcp',
          username: 'u',
          password: 'p w',
          t38Policy: 'accept-peer',
          maxChannels: 60,
        },
      ],
      SOURCE,
    );
    expect(trunk).toEqual({
      name: 'carrier-a',
      proxy: 'sip:203.0.113.10:5060;transport=tcp',
      username: 'u',
      password: 'p w',
      codecs: ['PCMA', 'PCMU'],
      t38Policy: 'accept-peer',
      maxChannels: 60,
      callsPerSecond: 5,
      setupTimeoutMs: 4000,
      answerTimeoutMs: 60000,
    });
  });

  it.each([
    ['not an array', { name: 'a' }, `${SOURCE} must be a JSON array`],
    [
      'a bad policy',
      [{ name: 'a', proxy: 'h', t38Policy: 'always' }],
      `${SOURCE}[0].t38Policy must be one of offer-on-reinvite, accept-peer, force-audio`,
    ],
    [
      'a zero channel limit',
      [{ name: 'a', proxy: 'h', maxChannels: 0 }],
      `${SOURCE}[0].maxChannels must be an integer from 1`,
    ],
    [
      'a duplicate name',
      [
        { name: 'a', proxy: 'h' },
        { name: 'a', proxy: 'h' },
      ],
      `${SOURCE}[1].name 'a' is used twice`,
    ],
    [
      'a user without password',
      [{ name: 'a', proxy: 'h', username: 'u' }],
      'needs both username and password',
    ],
    [
      'an unknown field',
      [{ name: 'a', proxy: 'h', channels: 3 }],
      `${SOURCE}[0].channels is not a trunk field`,
    ],
    ['a proxy with spaces', [{ name: 'a', proxy: 'sip:a b' }], `${SOURCE}[0].proxy must match`],
  ])('refuses %s, naming the field', (_what, value, message) => {
    expect(() => parseTrunkConfigs(value, SOURCE)).toThrow(SipConfigError);
    expect(() => parseTrunkConfigs(value, SOURCE)).toThrow(message);
  });
});
