// The addon's TIFF writer (received faxes are written on libuv's thread pool, not in the media
// tick): pages come back from an independent reader (our own, src/documents) pixel for pixel and in
// order, the file appears only with its first page, and failures are reported, not thrown.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bitmapsEqual, readTiff } from '../../../src/documents/index.ts';
import { nativeBinding } from '../../../src/fax/index.ts';
import { faxDocument, tiffPage } from '../../helpers/fax-documents.ts';
import { makeTempDir } from '../../helpers/index.ts';

const native = nativeBinding();
const dir = makeTempDir('faxswitch-tiff-');
const close = (writer: ReturnType<typeof native.createTiffWriter>) =>
  new Promise<string | null>((resolve) => native.tiffWriterClose(writer, resolve));

describe('TIFF writer', () => {
  it('writes pages in order as G4 that reads back pixel for pixel', async () => {
    const pages = [
      tiffPage(faxDocument('fine', 2), 1),
      tiffPage(faxDocument('standard', 1), 1),
      tiffPage(faxDocument('fine', 2), 2),
    ];
    const file = path.join(dir, 'written.tif');
    const writer = native.createTiffWriter(file);
    for (const page of pages)
      native.tiffWriterAppend(writer, { ...page, xDpi: 204, yDpi: page.resolution === 'fine' ? 196 : 98 });
    expect(await close(writer)).toBeNull();
    const read = readTiff(readFileSync(file));
    expect(read.map((p) => p.resolution)).toEqual(['fine', 'standard', 'fine']);
    read.forEach((page, i) => expect(bitmapsEqual(page, pages[i]!)).toBe(true));
  });

  it('creates no file without pages, and takes no page once closed', async () => {
    const file = path.join(dir, 'empty.tif');
    const writer = native.createTiffWriter(file);
    expect(await close(writer)).toBeNull();
    expect(existsSync(file)).toBe(false);
    const page = tiffPage(faxDocument('standard', 1), 1);
    expect(() => native.tiffWriterAppend(writer, { ...page, xDpi: 204, yDpi: 98 })).toThrow(/closed/);
  });

  it('reports a file it cannot create when it closes', async () => {
    const writer = native.createTiffWriter(path.join(dir, 'missing-dir', 'x.tif'));
    native.tiffWriterAppend(writer, { ...tiffPage(faxDocument('standard', 1), 1), xDpi: 204, yDpi: 98 });
    expect(await close(writer)).toMatch(/cannot create/);
  });

  it('refuses page data shorter than its geometry', () => {
    const writer = native.createTiffWriter(path.join(dir, 'short.tif'));
    expect(() =>
      native.tiffWriterAppend(writer, {
        width: 1728,
        height: 10,
        rowBytes: 216,
        xDpi: 204,
        yDpi: 98,
        data: new Uint8Array(100),
      }),
    ).toThrow(RangeError);
  });
});
