import { describe, expect, it } from 'vitest';
import {
  BadNumberError,
  CallBusyError,
  CallRefusedError,
  CallRejectedError,
  CongestionError,
  MediaRefusedError,
  NoAnswerError,
  errorForStatus,
  formatFaxJobHeader,
  retryAfterMsFrom,
} from '../../../src/sip/index.ts';

describe('SIP failures as typed outcomes', () => {
  it.each([
    [486, CallBusyError, true],
    [408, NoAnswerError, true],
    [480, NoAnswerError, true],
    [404, BadNumberError, false],
    [484, BadNumberError, false],
    [604, BadNumberError, false],
    [403, CallRefusedError, false],
    [603, CallRefusedError, false],
    [488, MediaRefusedError, false],
    [503, CongestionError, true],
    [502, CongestionError, true],
    [415, CallRejectedError, false],
  ] as const)('%i → %s', (status, type, retryable) => {
    const error = errorForStatus({ status, reason: 'x' });
    expect(error).toBeInstanceOf(type);
    expect(error.retryable).toBe(retryable);
    expect(error.wire.sip).toBe(status);
  });

  it('carries Retry-After on a 503', () => {
    const error = errorForStatus({
      status: 503,
      reason: 'Service Unavailable',
      retryAfterMs: retryAfterMsFrom('120 (maintenance);duration=60'),
    });
    expect(error).toBeInstanceOf(CongestionError);
    expect((error as CongestionError).retryAfterMs).toBe(120_000);
    expect(retryAfterMsFrom('soon')).toBeUndefined();
  });

  it('formats X-Fax-Job and refuses ids that would break the header', () => {
    expect(formatFaxJobHeader({ job: 'job-1', attempt: 2, epoch: 7 })).toBe('job-1;attempt=2;epoch=7');
    expect(() => formatFaxJobHeader({ job: 'a;epoch=99', attempt: 1, epoch: 1 })).toThrow(RangeError);
  });
});
