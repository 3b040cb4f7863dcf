// A letter's blocks laid out as a PDF with real text (searchable, small, sharp in any viewer):
// A4 or Letter, 2.25 cm margins, word wrap, headings, list items, rules, page breaks. Helvetica
// when every character is in its encoding (no font to embed: fast), DejaVu Sans subset-embedded
// when the letter needs more of Unicode. The same PDF is the email's attachment and, rendered, the fax.
import { readFileSync } from 'node:fs';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, rgb, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';
import type { LetterBlock, TextRun } from './letter-html.ts';

export type LetterPaper = 'a4' | 'letter';

const PAPER: Record<LetterPaper, [number, number]> = { a4: [595.28, 841.89], letter: [612, 792] };
const MARGIN = 64;
const BODY_SIZE = 11;
const HEADING_SIZE = { 1: 18, 2: 15, 3: 13 } as const;
const LINE_HEIGHT = 1.35;
const ITEM_INDENT = 16;

interface FontSet {
  readonly regular: PDFFont;
  readonly bold: PDFFont;
  readonly italic: PDFFont;
  readonly boldItalic: PDFFont;
}

const DEJAVU = '/usr/share/fonts/truetype/dejavu';
let dejaVuFiles: Record<keyof FontSet, Uint8Array> | undefined;

async function fontsFor(document: PDFDocument, blocks: readonly LetterBlock[]): Promise<FontSet> {
  const helvetica: FontSet = {
    regular: await document.embedFont(StandardFonts.Helvetica),
    bold: await document.embedFont(StandardFonts.HelveticaBold),
    italic: await document.embedFont(StandardFonts.HelveticaOblique),
    boldItalic: await document.embedFont(StandardFonts.HelveticaBoldOblique),
  };
  const text = blocks.flatMap((block) => ('runs' in block ? block.runs.map((run) => run.text) : [])).join('');
  try {
    helvetica.regular.encodeText(text.replace(/[\n\u00a0]/g, ' '));
    return helvetica;
  } catch {
    // Characters outside WinAnsi: embed DejaVu Sans (Debian's fonts-dejavu-core), only the glyphs used.
    document.registerFontkit(fontkit);
    dejaVuFiles ??= {
      regular: readFileSync(`${DEJAVU}/DejaVuSans.ttf`),
      bold: readFileSync(`${DEJAVU}/DejaVuSans-Bold.ttf`),
      italic: readFileSync(`${DEJAVU}/DejaVuSans-Oblique.ttf`),
      boldItalic: readFileSync(`${DEJAVU}/DejaVuSans-BoldOblique.ttf`),
    };
    const files = dejaVuFiles;
    return {
      regular: await document.embedFont(files.regular, { subset: true }),
      bold: await document.embedFont(files.bold, { subset: true }),
      italic: await document.embedFont(files.italic, { subset: true }),
      boldItalic: await document.embedFont(files.boldItalic, { subset: true }),
    };
  }
}

interface Word {
  readonly text: string;
  readonly font: PDFFont;
  readonly width: number;
  /** A space precedes this word on its line. */
  readonly spaced: boolean;
  /** A hard line break comes before this word. */
  readonly breakBefore: boolean;
}

function wordsOf(runs: readonly TextRun[], fonts: FontSet, size: number, maxWidth: number): Word[] {
  const words: Word[] = [];
  let spaced = false;
  let breakBefore = false;
  for (const run of runs) {
    const font = run.bold
      ? run.italic
        ? fonts.boldItalic
        : fonts.bold
      : run.italic
        ? fonts.italic
        : fonts.regular;
    for (const piece of run.text.split(/(\s)/)) {
      if (piece === '\n') {
        breakBefore = true;
        spaced = false;
      } else if (/^\s$/.test(piece)) spaced = words.length > 0;
      else if (piece) {
        // A word wider than the line is cut where it must be.
        for (const part of splitToWidth(piece, font, size, maxWidth)) {
          words.push({ text: part, font, width: font.widthOfTextAtSize(part, size), spaced, breakBefore });
          spaced = false;
          breakBefore = false;
        }
      }
    }
  }
  return words;
}

function splitToWidth(word: string, font: PDFFont, size: number, maxWidth: number): string[] {
  if (font.widthOfTextAtSize(word, size) <= maxWidth) return [word];
  const parts: string[] = [];
  let part = '';
  for (const char of word) {
    if (part && font.widthOfTextAtSize(part + char, size) > maxWidth) {
      parts.push(part);
      part = '';
    }
    part += char;
  }
  if (part) parts.push(part);
  return parts;
}

function linesOf(words: readonly Word[], maxWidth: number, space: (font: PDFFont) => number): Word[][] {
  const lines: Word[][] = [];
  let line: Word[] = [];
  let width = 0;
  for (const word of words) {
    const gap = word.spaced && line.length > 0 ? space(word.font) : 0;
    if (line.length > 0 && (word.breakBefore || width + gap + word.width > maxWidth)) {
      lines.push(line);
      line = [];
      width = 0;
    }
    width += (line.length > 0 && word.spaced ? space(word.font) : 0) + word.width;
    line.push(word);
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

export interface LetterPdfOptions {
  readonly paper?: LetterPaper;
  readonly title?: string;
  /** Creation date; fixed for reproducible output (tests, identical resends). */
  readonly date?: Date;
}

export async function writeLetterPdf(
  blocks: readonly LetterBlock[],
  options: LetterPdfOptions = {},
): Promise<Uint8Array> {
  const document = await PDFDocument.create({ updateMetadata: false });
  document.setProducer('faxswitch');
  if (options.title) document.setTitle(options.title);
  if (options.date) {
    document.setCreationDate(options.date);
    document.setModificationDate(options.date);
  }
  const [pageWidth, pageHeight] = PAPER[options.paper ?? 'a4'];
  const fonts = await fontsFor(document, blocks);
  let page: PDFPage = document.addPage([pageWidth, pageHeight]);
  let y = pageHeight - MARGIN;
  const newPageIfBelow = (needed: number): void => {
    if (y - needed < MARGIN) {
      page = document.addPage([pageWidth, pageHeight]);
      y = pageHeight - MARGIN;
    }
  };

  for (const block of blocks) {
    if (block.kind === 'rule') {
      newPageIfBelow(BODY_SIZE);
      y -= BODY_SIZE * 0.6;
      page.drawLine({
        start: { x: MARGIN, y },
        end: { x: pageWidth - MARGIN, y },
        thickness: 0.7,
        color: rgb(0, 0, 0),
      });
      y -= BODY_SIZE * 0.6;
      continue;
    }
    const size = block.kind === 'heading' ? HEADING_SIZE[block.level] : BODY_SIZE;
    const indent = block.kind === 'item' ? ITEM_INDENT : 0;
    const maxWidth = pageWidth - 2 * MARGIN - indent;
    const runs = block.kind === 'heading' ? block.runs.map((run) => ({ ...run, bold: true })) : block.runs;
    const lines = linesOf(wordsOf(runs, fonts, size, maxWidth), maxWidth, (font) =>
      font.widthOfTextAtSize(' ', size),
    );
    const lineHeight = size * LINE_HEIGHT;
    if (block.kind === 'heading') y -= size * 0.4;
    lines.forEach((line, index) => {
      newPageIfBelow(lineHeight);
      y -= lineHeight;
      if (block.kind === 'item' && index === 0)
        page.drawText(block.marker, { x: MARGIN, y, size, font: fonts.regular });
      let x = MARGIN + indent;
      for (const [position, word] of line.entries()) {
        if (position > 0 && word.spaced) x += word.font.widthOfTextAtSize(' ', size);
        page.drawText(word.text, { x, y, size, font: word.font });
        x += word.width;
      }
    });
    y -= block.kind === 'item' ? size * 0.15 : size * 0.6;
  }
  return document.save({ useObjectStreams: true });
}
