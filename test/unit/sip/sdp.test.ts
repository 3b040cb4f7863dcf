import { describe, expect, it } from 'vitest';
import { isSessionRefresh, offersT38, sdpOrigin } from '../../../src/sip/index.ts';
import { audioSdp, t38Sdp } from '../../integration/sip/sip-harness.ts';

describe('minimal SDP handling', () => {
  it('reads the o= line', () => {
    expect(sdpOrigin(audioSdp(1, 4, 99))).toEqual({ sessionId: '99', version: '4' });
    expect(sdpOrigin('v=0')).toBeUndefined();
  });

  it('tells a refresh (empty or same o= version) from a new offer', () => {
    expect(isSessionRefresh(t38Sdp(1, 2), t38Sdp(1, 2))).toBe(true);
    expect(isSessionRefresh(t38Sdp(1, 2), '')).toBe(true);
    expect(isSessionRefresh(audioSdp(1, 1), t38Sdp(1, 2))).toBe(false);
    expect(isSessionRefresh(audioSdp(1, 1, 5), audioSdp(1, 1, 6))).toBe(false);
  });

  it('spots a T.38 offer', () => {
    expect(offersT38(t38Sdp(4000))).toBe(true);
    expect(offersT38(audioSdp(4000))).toBe(false);
    expect(offersT38(t38Sdp(4000).replace('m=image 4000', 'm=image 0'))).toBe(false);
  });
});
