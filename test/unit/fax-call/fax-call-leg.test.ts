// The small parsers of the SIP fax path: the audio section of a peer's SDP, the CLI's SIP target,
// and the per-media names of received files.
import { describe, expect, it } from 'vitest';
import { parseSipUri } from '../../../src/cli/commands/fax-common.ts';
import { UsageError } from '../../../src/cli/index.ts';
import { parseAudioMedia, receivedFile } from '../../../src/fax-call/index.ts';

const sdp = (...lines: string[]) =>
  ['v=0', 'o=x 1 1 IN IP4 10.0.0.1', 's=-', 't=0 0', ...lines, ''].join('\r\n');

describe('parseAudioMedia', () => {
  it('takes the session address and prefers PCMA', () => {
    expect(parseAudioMedia(sdp('c=IN IP4 10.0.0.1', 'm=audio 4000 RTP/AVP 0 8 101'))).toEqual({
      host: '10.0.0.1',
      port: 4000,
      law: 'pcma',
    });
  });

  it('lets a media-level address override the session one, and reads PCMU-only offers', () => {
    expect(
      parseAudioMedia(
        sdp('c=IN IP4 10.0.0.1', 'm=image 5000 udptl t38', 'm=audio 4002 RTP/AVP 0', 'c=IN IP4 10.0.0.9'),
      ),
    ).toEqual({ host: '10.0.0.9', port: 4002, law: 'pcmu' });
  });

  it('refuses offers without G.711, without an address, or with the port 0 of a removed stream', () => {
    expect(parseAudioMedia(sdp('c=IN IP4 10.0.0.1', 'm=audio 4000 RTP/AVP 18'))).toBeUndefined();
    expect(parseAudioMedia(sdp('m=audio 4000 RTP/AVP 8'))).toBeUndefined();
    expect(parseAudioMedia(sdp('c=IN IP4 10.0.0.1', 'm=audio 0 RTP/AVP 8'))).toBeUndefined();
    expect(parseAudioMedia(sdp('c=IN IP4 10.0.0.1', 'm=image 5000 udptl t38'))).toBeUndefined();
  });
});

describe('parseSipUri', () => {
  it('reads number, host and port, with 5060 by default', () => {
    expect(parseSipUri('sip:+49301234567@127.0.0.1:5070')).toEqual({
      number: '+49301234567',
      host: '127.0.0.1',
      port: 5070,
    });
    expect(parseSipUri('sip:123@gw.example.net')).toEqual({
      number: '123',
      host: 'gw.example.net',
      port: 5060,
    });
    expect(parseSipUri('sip:123@[::1]:5062')).toEqual({ number: '123', host: '::1', port: 5062 });
  });

  it('refuses a URI without a number or with a bad port', () => {
    expect(() => parseSipUri('sip:127.0.0.1:5060')).toThrow(UsageError);
    expect(() => parseSipUri('sip:1@host:70000')).toThrow(/--to needs sip:<number>@<host\[:port\]>/);
  });
});

describe('receivedFile', () => {
  it('names one file per media, keeping the extension', () => {
    expect(receivedFile('/tmp/in.tif', 't38')).toBe('/tmp/in.t38.tif');
    expect(receivedFile('/tmp/in.TIFF', 'audio')).toBe('/tmp/in.audio.TIFF');
    expect(receivedFile('/tmp/in', 'audio')).toBe('/tmp/in.audio.tif');
  });
});
