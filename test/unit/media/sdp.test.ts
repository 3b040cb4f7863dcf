import { describe, expect, it } from 'vitest';
import {
  answerT38,
  DEFAULT_T38_PARAMS,
  errorCorrectionFor,
  formatT38Media,
  parseT38Media,
  SdpError,
} from '../../../src/media/index.ts';

const RTPENGINE_OFFER = [
  'v=0',
  'o=- 1 1 IN IP4 198.51.100.7',
  's=-',
  'c=IN IP4 198.51.100.7',
  't=0 0',
  'm=audio 4000 RTP/AVP 0',
  'm=image 30000 udptl t38',
  'a=t38faxversion:1',
  'a=T38MaxBitRate:9600',
  'a=T38FaxRateManagement:transferredTCF',
  'a=T38FaxMaxBuffer:1800',
  'a=T38FaxMaxDatagram:512',
  'a=T38FaxUdpEC:t38UDPFEC',
  'a=T38FaxFillBitRemoval',
  'a=T38FaxTranscodingMMR:0',
  '',
].join('\r\n');

describe('T.38 SDP', () => {
  it('reads a peer offer case-insensitively, including bare and valued flags', () => {
    const media = parseT38Media(RTPENGINE_OFFER);
    expect(media).toEqual({
      address: '198.51.100.7',
      port: 30000,
      params: {
        version: 1,
        maxBitRate: 9600,
        rateManagement: 'transferredTCF',
        maxBuffer: 1800,
        maxDatagram: 512,
        udpEc: 't38UDPFEC',
        fillBitRemoval: true,
        transcodingMMR: false,
        transcodingJBIG: false,
      },
    });
  });

  it('answers with every parameter lowered to what both sides support', () => {
    const offer = parseT38Media(RTPENGINE_OFFER)!.params;
    const answer = answerT38(offer, { ...DEFAULT_T38_PARAMS, maxDatagram: 400, fillBitRemoval: true });
    expect(answer).toEqual({
      version: 0,
      maxBitRate: 9600,
      rateManagement: 'transferredTCF',
      maxBuffer: 1800,
      maxDatagram: 400,
      udpEc: 't38UDPRedundancy',
      fillBitRemoval: true,
      transcodingMMR: false,
      transcodingJBIG: false,
    });
    expect(errorCorrectionFor(answer)).toEqual({ mode: 'redundancy', secondaries: 3 });
  });

  it('renders an offer that parses back to the same parameters', () => {
    const params = { ...DEFAULT_T38_PARAMS, transcodingJBIG: true };
    const text = formatT38Media(41000, params, '127.0.0.1');
    expect(text.startsWith('m=image 41000 udptl t38\r\nc=IN IP4 127.0.0.1\r\n')).toBe(true);
    expect(parseT38Media(`v=0\r\n${text}`)).toEqual({ address: '127.0.0.1', port: 41000, params });
  });

  it('returns undefined for audio-only SDP and rejects hostile values', () => {
    expect(parseT38Media('v=0\r\nm=audio 4000 RTP/AVP 0\r\n')).toBeUndefined();
    expect(() => parseT38Media('m=image 1 udptl t38\r\na=T38FaxVersion:99999999999\r\n')).toThrow(SdpError);
    expect(() => parseT38Media('x'.repeat(70000))).toThrow(SdpError);
  });
});
