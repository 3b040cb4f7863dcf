// The HTML of a letter read as blocks of styled text — headings, paragraphs, list items, rules —
// which is all a business letter needs and all the PDF layout draws. Nothing is fetched or run:
// scripts, styles, images and embedded objects are dropped (an image leaves its alt text).

export interface TextRun {
  readonly text: string;
  readonly bold: boolean;
  readonly italic: boolean;
}

export type LetterBlock =
  | { readonly kind: 'heading'; readonly level: 1 | 2 | 3; readonly runs: readonly TextRun[] }
  | { readonly kind: 'paragraph'; readonly runs: readonly TextRun[] }
  | { readonly kind: 'item'; readonly marker: string; readonly runs: readonly TextRun[] }
  | { readonly kind: 'rule' };

const DROPPED_WITH_CONTENT =
  /<(script|style|head|title|template|noscript|svg|math|object|iframe)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const PARAGRAPH_TAGS = new Set([
  'p',
  'div',
  'section',
  'article',
  'header',
  'footer',
  'blockquote',
  'address',
  'pre',
  'tr',
  'table',
]);
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X'))
      return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

export function htmlToBlocks(html: string): LetterBlock[] {
  const source = html.replace(/<!--[\s\S]*?(-->|$)/g, '').replace(DROPPED_WITH_CONTENT, '');
  const blocks: LetterBlock[] = [];
  let runs: TextRun[] = [];
  let current:
    { kind: 'paragraph' } | { kind: 'heading'; level: 1 | 2 | 3 } | { kind: 'item'; marker: string } = {
    kind: 'paragraph',
  };
  let bold = 0;
  let italic = 0;
  let preformatted = 0;
  const lists: { ordered: boolean; next: number }[] = [];

  const flush = (): void => {
    const trimmed = trimRuns(runs);
    if (trimmed.length > 0) blocks.push({ ...current, runs: trimmed });
    runs = [];
    current = { kind: 'paragraph' };
  };
  const addText = (raw: string): void => {
    const text = preformatted > 0 ? decodeEntities(raw) : decodeEntities(raw.replace(/\s+/g, ' '));
    if (text) runs.push({ text, bold: bold > 0, italic: italic > 0 });
  };

  const tags = /<\/?([a-zA-Z][a-zA-Z0-9]*)\b([^>]*)>|<![^>]*>/g;
  let last = 0;
  for (let match = tags.exec(source); match !== null; match = tags.exec(source)) {
    addText(source.slice(last, match.index));
    last = tags.lastIndex;
    const tag = match[1]?.toLowerCase();
    if (tag === undefined) continue;
    const closing = match[0].startsWith('</');
    if (tag === 'br') {
      if (preformatted > 0 || runs.length > 0) runs.push({ text: '\n', bold: false, italic: false });
    } else if (tag === 'hr') {
      flush();
      blocks.push({ kind: 'rule' });
    } else if (tag === 'b' || tag === 'strong') bold = Math.max(0, bold + (closing ? -1 : 1));
    else if (tag === 'i' || tag === 'em') italic = Math.max(0, italic + (closing ? -1 : 1));
    else if (/^h[1-6]$/.test(tag)) {
      flush();
      if (!closing) current = { kind: 'heading', level: Math.min(3, Number(tag[1])) as 1 | 2 | 3 };
    } else if (tag === 'ul' || tag === 'ol') {
      flush();
      if (closing) lists.pop();
      else lists.push({ ordered: tag === 'ol', next: 1 });
    } else if (tag === 'li') {
      flush();
      if (!closing) {
        const list = lists.at(-1);
        current = { kind: 'item', marker: list?.ordered ? `${list.next++}.` : '•' };
      }
    } else if (tag === 'img' && !closing) {
      const alt = /\balt\s*=\s*("([^"]*)"|'([^']*)')/i.exec(match[2] ?? '');
      addText(alt?.[2] ?? alt?.[3] ?? '');
    } else if (PARAGRAPH_TAGS.has(tag)) {
      if (tag === 'pre') preformatted = Math.max(0, preformatted + (closing ? -1 : 1));
      flush();
    }
  }
  addText(source.slice(last));
  flush();
  return blocks;
}

/** Drops leading and trailing white space and line breaks of a block. */
function trimRuns(runs: readonly TextRun[]): TextRun[] {
  const result = runs.map((run) => ({ ...run }));
  while (result.length > 0 && !result[0]!.text.trim()) result.shift();
  while (result.length > 0 && !result.at(-1)!.text.trim()) result.pop();
  if (result.length === 0) return [];
  result[0] = { ...result[0]!, text: result[0]!.text.replace(/^\s+/, '') };
  result[result.length - 1] = { ...result.at(-1)!, text: result.at(-1)!.text.replace(/\s+$/, '') };
  return result;
}
