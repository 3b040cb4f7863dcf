// The addon's libtiff page reader (used to hand each received page upward) keeps to its limits:
// missing pages are null, non-bilevel or oversized pages and damaged files are typed errors.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeBinding } from '../../../src/fax/index.ts';
import { faxDocument } from '../../helpers/fax-documents.ts';
import { makeTempDir } from '../../helpers/index.ts';

const native = nativeBinding();
const dir = makeTempDir('faxswitch-tiff-');

describe('readTiffPage', () => {
  it('reads a bilevel page with its geometry and returns null past the last page', () => {
    const doc = faxDocument('fine', 2);
    const page = native.readTiffPage(doc, 1, 1e8);
    expect(page).toMatchObject({ width: 1728, height: 2200, rowBytes: 216, pages: 2 });
    expect(Math.round(page!.yDpi)).toBe(196);
    expect(page!.data.some((b) => b !== 0)).toBe(true); // there is ink on the page
    expect(native.readTiffPage(doc, 2, 1e8)).toBeNull();
    expect(native.readTiffPage(path.join(dir, 'missing.tif'), 0, 1e8)).toBeNull();
  });

  it('refuses grayscale and oversized pages', () => {
    const gray = path.join(dir, 'gray.tif');
    execFileSync('gs', [
      '-q',
      '-dNOPAUSE',
      '-dBATCH',
      '-dSAFER',
      '-sDEVICE=tiffgray',
      '-r72',
      '-g100x100',
      `-sOutputFile=${gray}`,
      '-c',
      'showpage',
    ]);
    expect(() => native.readTiffPage(gray, 0, 1e8)).toThrow(
      expect.objectContaining({ code: 'ERR_TIFF_UNSUPPORTED' }),
    );
    expect(() => native.readTiffPage(faxDocument('fine', 2), 0, 1728 * 1000)).toThrow(
      expect.objectContaining({ code: 'ERR_TIFF_UNSUPPORTED' }),
    );
  });

  it('gives a typed error or nothing, never a crash, for a truncated file', () => {
    const whole = readFileSync(faxDocument('standard', 1));
    const truncated = path.join(dir, 'truncated.tif');
    writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    let outcome: unknown;
    try {
      outcome = native.readTiffPage(truncated, 0, 1e8);
    } catch (error) {
      outcome = (error as { code?: string }).code;
    }
    expect([null, 'ERR_TIFF_CORRUPT']).toContain(outcome);
  });
});
