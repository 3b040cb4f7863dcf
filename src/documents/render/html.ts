// HTML email bodies reduced to plain text for the text layout. Chosen over LibreOffice because
// it is ~1000× faster, runs in the render worker, and cannot fetch anything: no element is ever
// loaded (images, stylesheets, fonts, iframes are dropped, an <img> leaves its alt text). Scripts,
// styles and comments are removed; block elements become line breaks, list items bullets.

const DROPPED_WITH_CONTENT =
  /<(script|style|head|title|template|noscript|svg|math|object|iframe)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const BLOCK =
  /^(p|div|section|article|header|footer|blockquote|h[1-6]|ul|ol|table|tr|pre|address|form|fieldset|hr|dl|dt|dd)$/;

export function htmlToText(html: string): string {
  const cleaned = html.replace(/<!--[\s\S]*?(-->|$)/g, '').replace(DROPPED_WITH_CONTENT, '');
  let out = '';
  let preDepth = 0;
  let href: string | undefined;
  let linkText = '';
  const tagPattern = /<\/?([a-zA-Z][a-zA-Z0-9]*)\b([^>]*)>|<![^>]*>/g;
  let last = 0;
  const emit = (text: string): void => {
    out += text;
    if (href !== undefined) linkText += text;
  };
  for (let match = tagPattern.exec(cleaned); match !== null; match = tagPattern.exec(cleaned)) {
    emit(textOf(cleaned.slice(last, match.index), preDepth > 0));
    last = tagPattern.lastIndex;
    const tag = match[1]?.toLowerCase();
    if (tag === undefined) continue;
    const closing = match[0].startsWith('</');
    const attributes = match[2] ?? '';
    if (tag === 'br') emit('\n');
    else if (tag === 'pre') preDepth = Math.max(0, preDepth + (closing ? -1 : 1));
    else if (tag === 'li' && !closing) emit('\n  • ');
    else if ((tag === 'td' || tag === 'th') && !closing) emit('\t');
    else if (tag === 'img' && !closing) emit(attribute(attributes, 'alt') ?? '');
    else if (tag === 'a' && !closing) {
      href = attribute(attributes, 'href');
      linkText = '';
    } else if (tag === 'a' && closing) {
      const target = href;
      href = undefined;
      // Show where a link points when its text does not already say so (phishing-safe, too).
      if (
        target !== undefined &&
        /^(https?:|mailto:)/i.test(target) &&
        !linkText.includes(target.replace(/^mailto:/i, ''))
      ) {
        out += ` <${target}>`;
      }
    }
    if (BLOCK.test(tag)) emit(tag === 'hr' ? '\n' + '-'.repeat(40) + '\n' : '\n\n');
  }
  emit(textOf(cleaned.slice(last), preDepth > 0));
  return out
    .split('\n')
    .map((line) => line.replace(/[ \u00a0]+$/g, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function textOf(raw: string, preformatted: boolean): string {
  const text = preformatted ? raw : raw.replace(/\s+/g, ' ');
  return decodeEntities(text);
}

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(attributes);
  if (match === null) return undefined;
  return decodeEntities(match[2] ?? match[3] ?? match[4] ?? '');
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  copy: '©',
  reg: '®',
  euro: '€',
  pound: '£',
  yen: '¥',
  sect: '§',
  deg: '°',
  middot: '·',
  bull: '•',
  hellip: '…',
  ndash: '–',
  mdash: '—',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  auml: 'ä',
  ouml: 'ö',
  uuml: 'ü',
  Auml: 'Ä',
  Ouml: 'Ö',
  Uuml: 'Ü',
  szlig: 'ß',
  eacute: 'é',
  egrave: 'è',
  agrave: 'à',
  ccedil: 'ç',
  times: '×',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#')) {
      const code =
        entity[1] === 'x' || entity[1] === 'X'
          ? parseInt(entity.slice(2), 16)
          : parseInt(entity.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
        ? String.fromCodePoint(code)
        : '';
    }
    return NAMED_ENTITIES[entity] ?? whole;
  });
}
