// Images through the public entry point: orientation, transparency, multi-frame, fit, dithering,
// and bombs refused from their headers before a pixel is decoded.
import { deflateSync, crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { DocumentRenderer, TooManyPixelsError, TooManyPagesError } from '../../../../src/documents/index.ts';
import { blackFraction, photoJpeg } from './support.ts';

const renderer = new DocumentRenderer({ workers: 1 });
afterAll(() => renderer.close());

/** A black square in the top-left quarter of an otherwise white portrait image. */
async function markedImage(format: 'png' | 'jpeg' | 'webp', orientation?: number): Promise<Buffer> {
  const svg =
    '<svg width="600" height="800"><rect width="600" height="800" fill="#fff"/><rect width="300" height="400" fill="#000"/></svg>';
  let image = sharp(Buffer.from(svg)).toFormat(format);
  if (orientation !== undefined) image = image.withMetadata({ orientation });
  return image.toBuffer();
}

/** A PNG whose header claims width×height pixels but carries almost no data: the classic bomb. */
function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('image rendering', () => {
  it.each(['png', 'jpeg', 'webp'] as const)(
    'fits a %s to the page inside the margins, top left stays top left',
    async (format) => {
      const { pages, type } = await renderer.render(await markedImage(format), {
        name: `scan.${format}`,
        mode: 'text',
      });
      expect(type).toBe(format);
      const page = pages[0]!;
      expect(page).toMatchObject({ width: 1728, height: 2292 });
      // 600×800 into the 7.97×11.19 in box inside quarter-inch margins: width-bound, 1626 px wide and
      // 10.63 in (2083 rows) long, starting 49 rows down; the black quarter is ≈813 px × 1041 rows.
      expect(blackFraction(page, 60, 60, 800, 1000)).toBeGreaterThan(0.99);
      expect(blackFraction(page, 960, 60, 1680, 1000)).toBeLessThan(0.01);
      expect(blackFraction(page, 0, 0, 1728, 45)).toBe(0);
      expect(blackFraction(page, 60, 1150, 800, 2000)).toBeLessThan(0.01);
    },
  );

  it('applies the EXIF orientation before fitting', async () => {
    // Orientation 6: the stored image must be turned 90° clockwise to be upright; the stored
    // top-left square then lands top-right (and the image becomes landscape, so it is turned back).
    const upright = await renderer.render(await markedImage('jpeg', 6), { name: 'phone.jpg', mode: 'text' });
    const page = upright.pages[0]!;
    // Landscape after orientation → turned clockwise again: the square ends at the bottom right.
    expect(upright.warnings).toEqual(['phone.jpg is landscape and was turned to portrait']);
    expect(blackFraction(page, 900, 1300, 1650, 2000)).toBeGreaterThan(0.99);
    expect(blackFraction(page, 60, 60, 800, 1000)).toBeLessThan(0.01);
  });

  it('flattens transparency onto white paper', async () => {
    const transparent = await sharp({
      create: { width: 400, height: 600, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const { pages } = await renderer.render(transparent, { name: 'logo.png' });
    expect(blackFraction(pages[0]!, 0, 0, 1728, 2292)).toBe(0);
  });

  it('renders every frame of a multi-frame GIF as a page', async () => {
    const frames = Buffer.alloc(200 * 300 * 3, 255);
    frames.fill(0, 200 * 300 * 3, 200 * 300 * 3); // first frame white
    frames.fill(0, 200 * 150 * 3, 200 * 300 * 3); // second frame black
    const gif = await sharp(frames, { raw: { width: 200, height: 300, channels: 3, pageHeight: 150 } })
      .gif()
      .toBuffer();
    const { pages } = await renderer.render(gif, { name: 'anim.gif', mode: 'text' });
    expect(pages).toHaveLength(2);
    expect(blackFraction(pages[0]!, 0, 0, 1728, 2292)).toBe(0);
    expect(blackFraction(pages[1]!, 200, 200, 1500, 1000)).toBe(1);
  });

  it('halftones a photo with a clustered dot by default and diffuses errors in photo mode', async () => {
    const photo = await photoJpeg(800, 1100);
    const halftone = (await renderer.render(photo, { name: 'photo.jpg' })).pages[0]!;
    const diffused = (await renderer.render(photo, { name: 'photo.jpg', mode: 'photo' })).pages[0]!;
    // The dark disc in the middle stays solid; the horizontal gradient gets lighter to the right.
    expect(blackFraction(halftone, 800, 1050, 900, 1150)).toBeGreaterThan(0.95);
    expect(blackFraction(halftone, 100, 200, 300, 400)).toBeGreaterThan(
      blackFraction(halftone, 1400, 200, 1600, 400),
    );
    expect(blackFraction(diffused, 100, 200, 300, 400)).toBeGreaterThan(
      blackFraction(diffused, 1400, 200, 1600, 400),
    );
    // Clustered dots make far fewer black/white transitions per row than error diffusion: that is
    // what keeps a photo page short on the wire.
    expect(transitions(halftone, 600)).toBeLessThan(transitions(diffused, 600) * 0.7);
  });

  it('refuses an image bomb from its header, fast', async () => {
    const bomb = pngClaiming(30000, 30000);
    const started = performance.now();
    const refusal = renderer.render(bomb, { name: 'photo.png' });
    await expect(refusal).rejects.toThrow(TooManyPixelsError);
    await expect(refusal).rejects.toThrow('photo.png is 30000×30000 pixels; the limit is 100 megapixels');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('holds multi-frame images to the page limit', async () => {
    // Frames must differ: the GIF encoder merges identical ones.
    const frames = Buffer.alloc(10 * 60, 255);
    for (let frame = 0; frame < 6; frame++) frames.fill(0, frame * 100, frame * 100 + (frame + 1) * 10);
    const gif = await sharp(frames, { raw: { width: 10, height: 60, channels: 1, pageHeight: 10 } })
      .gif()
      .toBuffer();
    await expect(renderer.render(gif, { name: 'many.gif', limits: { maxPages: 5 } })).rejects.toThrow(
      TooManyPagesError,
    );
  });
});

function transitions(page: { data: Uint8Array; rowBytes: number; width: number }, y: number): number {
  let count = 0;
  let previous = false;
  for (let x = 0; x < page.width; x++) {
    const black = (page.data[y * page.rowBytes + (x >> 3)]! & (0x80 >> (x & 7))) !== 0;
    if (black !== previous) count++;
    previous = black;
  }
  return count;
}
