// Damaged and hostile attachments: truncated and bit-flipped PDFs, images and text. Every one
// either renders to proper fax pages or is refused with a DocumentRefusedError, in bounded time;
// none crashes the renderer or leaves it unable to serve the next document.
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { DocumentRefusedError, DocumentRenderer } from '../../../../src/documents/index.ts';
import { minimalDocx, photoJpeg, textPdf } from './support.ts';

const renderer = new DocumentRenderer({ workers: 1 });
afterAll(() => renderer.close());

/** Deterministic damage: `flips` bits flipped past the first 16 bytes (so the type still sniffs). */
function flipBits(bytes: Uint8Array, flips: number, seed: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  let state = seed;
  for (let i = 0; i < flips; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    const position = 16 + (state % (copy.length - 16));
    copy[position]! ^= 1 << (state >>> 29);
  }
  return copy;
}

async function samples(): Promise<[string, Uint8Array][]> {
  const image = sharp(await photoJpeg(300, 400));
  return [
    ['letter.pdf', await textPdf(2, 10)],
    ['photo.jpg', await image.clone().jpeg().toBuffer()],
    ['photo.png', await image.clone().png().toBuffer()],
    ['photo.gif', await image.clone().gif().toBuffer()],
    ['photo.webp', await image.clone().webp().toBuffer()],
    ['photo.tif', await image.clone().tiff({ compression: 'lzw' }).toBuffer()],
  ];
}

describe('hostile and damaged input', () => {
  it('renders or refuses every truncated and bit-flipped sample, never anything else', async () => {
    const outcomes = { rendered: 0, refused: 0 };
    for (const [name, bytes] of await samples()) {
      const variants = [
        bytes.subarray(0, Math.floor(bytes.length / 2)),
        bytes.subarray(0, 40),
        ...[1, 2, 3].map((seed) => flipBits(bytes, 20, seed)),
      ];
      for (const variant of variants) {
        const started = performance.now();
        try {
          const { pages } = await renderer.render(variant, { name, limits: { timeoutMs: 10_000 } });
          expect(pages.length).toBeGreaterThan(0);
          for (const page of pages) expect(page.width).toBe(1728);
          outcomes.rendered++;
        } catch (error) {
          expect(error, `${name}: ${String(error)}`).toBeInstanceOf(DocumentRefusedError);
          expect((error as DocumentRefusedError).message).toContain(name);
          outcomes.refused++;
        }
        expect(performance.now() - started).toBeLessThan(10_500);
      }
    }
    // Both outcomes occur: the damage is real, and decoders recover from some of it.
    expect(outcomes.refused).toBeGreaterThan(5);
    expect(outcomes.rendered).toBeGreaterThan(0);
    const after = await renderer.render(await textPdf(1, 5), { name: 'after.pdf' });
    expect(after.pages).toHaveLength(1);
  }, 120_000);

  it('refuses a zip that only pretends to be a DOCX without starting LibreOffice on garbage', async () => {
    const docx = minimalDocx(['x']);
    // The central directory is gone: nothing identifies it as an office document any more.
    const refusal = renderer.render(docx.subarray(0, docx.length - 30), { name: 'fake.docx' });
    await expect(refusal).rejects.toThrow(DocumentRefusedError);
    await expect(refusal).rejects.toThrow('nothing faxable in fake.docx');
  });
});
