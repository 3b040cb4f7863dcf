import { describe, expect, it } from 'vitest';
import { RetryableError, TerminalError } from '../../../cluster/index.ts';
import {
  faxErrorFromCompletion,
  FaxRetryableError,
  FaxTerminalError,
  nativeBinding,
  t30CodeName,
} from '../../../src/fax/index.ts';

describe('T.30 completion codes → typed errors', () => {
  it('numbers codes exactly as the installed SpanDSP does (its own texts line up)', () => {
    const native = nativeBinding();
    expect(native.completionCodeToString(0)).toBe('OK');
    expect(t30CodeName(12)).toBe('NOSIZESUPPORT');
    expect(native.completionCodeToString(12)).toMatch(/size/i);
    expect(t30CodeName(49)).toBe('CALLDROPPED');
    expect(native.completionCodeToString(49)).toMatch(/call dropped/i);
    expect(t30CodeName(41)).toBe('FILEERROR');
    expect(native.completionCodeToString(41)).toMatch(/TIFF/i);
    expect(t30CodeName(61)).toBe('CSA_UNACCEPTABLE');
  });

  it('marks line and timing failures retryable and capability/file failures terminal', () => {
    const dropped = faxErrorFromCompletion(49, 'The call dropped prematurely', 3);
    expect(dropped).toBeInstanceOf(FaxRetryableError);
    expect(dropped).toBeInstanceOf(RetryableError);
    expect(dropped).toMatchObject({ retryable: true, code: 49, codeName: 'CALLDROPPED', pagesConfirmed: 3 });
    expect(dropped.message).toBe(
      'fax failed: The call dropped prematurely (T30_ERR_CALLDROPPED) after 3 confirmed page(s)',
    );
    const size = faxErrorFromCompletion(12, 'Far end cannot receive at the size of image', 0);
    expect(size).toBeInstanceOf(FaxTerminalError);
    expect(size).toBeInstanceOf(TerminalError);
    expect(faxErrorFromCompletion(6, 'Failed to train with any of the compatible modems', 0).retryable).toBe(
      true,
    );
    expect(faxErrorFromCompletion(999, 'future', 0).retryable).toBe(true);
  });
});
