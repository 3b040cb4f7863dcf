// Plain-text and HTML bodies: wrapping, tabs, pagination, HTML reduced safely to text, and the text
// actually on the page (compared glyph for glyph with the glyphs the renderer draws).
import { afterAll, describe, expect, it } from 'vitest';
import {
  DocumentRenderer,
  NothingFaxableError,
  createBitmap,
  type FaxPage,
} from '../../../../src/documents/index.ts';
import { drawText, glyphsFor } from '../../../../src/documents/render/glyphs.ts';
import { htmlToText } from '../../../../src/documents/render/html.ts';
import { wrapText } from '../../../../src/documents/render/text.ts';
import { blackCount, blackFraction, isBlack } from './support.ts';

const renderer = new DocumentRenderer({ workers: 1 });
afterAll(() => renderer.close());

/** Whether `text`, drawn in the body font, appears on the page with its cell's top-left at (x, y). */
async function showsText(page: FaxPage, text: string, x: number, y: number): Promise<boolean> {
  const glyphs = await glyphsFor({ sizePt: 10 }, page.resolution, text);
  const expected = createBitmap(text.length * glyphs.cellWidth, glyphs.cellHeight);
  drawText(expected, glyphs, text, 0, 0);
  if (blackCount(expected) === 0) return false;
  for (let dy = 0; dy < expected.height; dy++) {
    for (let dx = 0; dx < expected.width; dx++)
      if (isBlack(expected, dx, dy) !== isBlack(page, x + dx, y + dy)) return false;
  }
  return true;
}

describe('wrapText', () => {
  it('wraps at spaces, cuts words longer than a line, expands tabs to 8-column stops', () => {
    expect(wrapText('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrapText('abcdefghijkl', 5)).toEqual(['abcde', 'fghij', 'kl']);
    expect(wrapText('a\tb\r\nxy\tz', 20)).toEqual(['a       b', 'xy      z']);
    expect(wrapText('page one\fpage two', 20)).toEqual(['page one', '\f', 'page two']);
  });
});

describe('htmlToText', () => {
  it('keeps the words and structure, drops scripts, styles and every remote resource', () => {
    const html = `<html><head><title>t</title><style>p{color:red}</style><script>fetch('http://evil/')</script></head>
      <body><h1>Invoice&nbsp;4711</h1><p>Dear  customer,<br>please pay &euro;&#160;12 &amp; more.</p>
      <img src="http://tracker.example/pixel.gif" alt="[logo]"><ul><li>first</li><li>second</li></ul>
      <a href="https://pay.example/x">pay here</a><!-- hidden --></body></html>`;
    const text = htmlToText(html);
    expect(text).toContain('Invoice\u00a04711');
    expect(text).toContain('Dear customer,\nplease pay €\u00a012 & more.');
    expect(text).toContain('[logo]');
    expect(text).toContain('  • first\n  • second');
    expect(text).toContain('pay here <https://pay.example/x>');
    expect(text).not.toMatch(/fetch|color|hidden|tracker|pixel\.gif/);
  });
});

describe('text rendering', () => {
  it('draws the words at the top-left margin of a fax page', async () => {
    const { pages, type } = await renderer.render(Buffer.from('Hello fax\nSecond line'), {
      name: 'body.txt',
    });
    expect(type).toBe('text');
    const page = pages[0]!;
    expect(page).toMatchObject({ width: 1728, height: 2292 });
    const glyphs = await glyphsFor({ sizePt: 10 }, 'fine', 'x');
    // Half-inch margins: 102 px from the left, 98 rows from the top.
    expect(await showsText(page, 'Hello fax', 102, 98)).toBe(true);
    expect(await showsText(page, 'Second line', 102, 98 + glyphs.cellHeight)).toBe(true);
    expect(await showsText(page, 'Second line', 102, 98)).toBe(false);
    expect(blackFraction(page, 0, 0, 1728, 95)).toBe(0);
  });

  it('paginates long text and renders Latin-1 mail as readable characters', async () => {
    const lines = Array.from({ length: 150 }, (_, i) => `Zeile ${i + 1}: Grüße`).join('\n');
    const { pages } = await renderer.render(Buffer.from(lines, 'latin1'), {
      name: 'mail.txt',
      resolution: 'standard',
    });
    // 11.69 in − 1 in of margins at 98 dpi = 1048 rows; 16-row lines → 65 per page → 3 pages.
    expect(pages).toHaveLength(3);
    expect(pages[0]!.height).toBe(1146);
    expect(await showsText(pages[0]!, 'Zeile 1: Grüße', 102, 49)).toBe(true);
    expect(await showsText(pages[2]!, 'Zeile 131: Grüße', 102, 49)).toBe(true);
  });

  it('refuses bodies that would fax as blank pages', async () => {
    await expect(renderer.render(Buffer.from(' \r\n\t\n'), { name: 'body.txt' })).rejects.toThrow(
      new NothingFaxableError('body.txt', 'it contains no text'),
    );
    const imageOnly = Buffer.from('<html><body><img src="cid:logo"><script>x()</script></body></html>');
    await expect(renderer.render(imageOnly, { name: 'body.html' })).rejects.toThrow(NothingFaxableError);
  });

  it('renders an HTML body as its text', async () => {
    const html = Buffer.from(
      '<!DOCTYPE html><html><body><p>Hello <b>fax</b></p><script>alert(1)</script></body></html>',
    );
    const { pages, type } = await renderer.render(html, { name: 'body.html' });
    expect(type).toBe('html');
    expect(await showsText(pages[0]!, 'Hello fax', 102, 98)).toBe(true);
  });
});
