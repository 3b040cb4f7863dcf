// Serial-letter templates personalised and checked by tools that did not write them: qpdf finds our
// PDFs sound, poppler's pdftotext reads the recipient's values out of them (Latin and beyond), and a
// DOCX whose placeholder Word split across runs is filled and converted by LibreOffice.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { compileLetterTemplate, joinSplitPlaceholders } from '../../../src/letters/index.ts';
import { TemplateError } from '../../../src/templates/index.ts';
import { makeTempDir } from '../../helpers/index.ts';

const FIELDS = ['name', 'email', 'fax', 'amount'];
const dir = makeTempDir('faxswitch-letters-');

function pdfText(pdf: Uint8Array, name: string): string {
  const file = path.join(dir, `${name}.pdf`);
  writeFileSync(file, pdf);
  expect(execFileSync('qpdf', ['--check', file]).toString()).toContain(
    'No syntax or stream encoding errors found',
  );
  return execFileSync('pdftotext', ['-layout', file, '-']).toString();
}

const MARKDOWN = `# Invoice reminder

Dear {{name}},

our records show **{{amount}} EUR** still open. Please pay by the end of the month.

- Reference: {{email}}
- Questions: call us

Kind regards
`;

describe('serial-letter templates', () => {
  it('personalises Markdown into an HTML body and a PDF that reads back', async () => {
    const template = compileLetterTemplate(Buffer.from(MARKDOWN), {
      name: 'reminder.md',
      allowedFields: FIELDS,
    });
    expect(template.kind).toBe('markdown');
    expect(template.fields).toEqual(['name', 'amount', 'email']);
    const letter = await template.personalise({
      name: 'Anna <Admin> & Co',
      amount: '120.50',
      email: 'anna@example.com',
    });
    expect(letter.html).toContain('<strong>120.50 EUR</strong>');
    expect(letter.html).toContain('Anna &lt;Admin&gt; &amp; Co');
    expect(letter.text).toContain('Dear Anna <Admin> & Co,');
    const text = pdfText(letter.pdf, 'markdown');
    expect(text).toContain('Invoice reminder');
    expect(text).toContain('Dear Anna <Admin> & Co,');
    expect(text).toMatch(/•\s+Reference: anna@example\.com/);
  });

  it('lays out names beyond Latin-1 with an embedded font, over several pages', async () => {
    const long = `<h1>Письмо</h1>${'<p>Уважаемый {{name}}, ζωή 日本 — ok. </p>'.repeat(80)}`;
    const template = compileLetterTemplate(Buffer.from(long), { name: 'letter.html', allowedFields: FIELDS });
    expect(template.kind).toBe('html');
    const letter = await template.personalise({ name: 'Ёлкин' });
    const text = pdfText(letter.pdf, 'unicode');
    expect(text).toContain('Уважаемый Ёлкин');
    const pages = execFileSync('qpdf', ['--show-npages', path.join(dir, 'unicode.pdf')])
      .toString()
      .trim();
    expect(Number(pages)).toBeGreaterThan(1);
  });

  it('refuses a placeholder that is not a column of the list, naming it', () => {
    expect(() =>
      compileLetterTemplate(Buffer.from('Dear {{nmae}}'), { name: 'typo.md', allowedFields: FIELDS }),
    ).toThrow(new TemplateError('typo.md uses unknown field {{nmae}}; available: name, email, fax, amount'));
  });

  it('joins a placeholder split across runs, and leaves other braces alone', () => {
    expect(joinSplitPlaceholders('<w:t>{{na</w:t></w:r><w:r><w:t>me}}</w:t>')).toBe('<w:t>{{name}}</w:t>');
    expect(joinSplitPlaceholders('<w:t>{{</w:t><w:proofErr/><w:t>amount}}</w:t>')).toBe(
      '<w:t>{{amount}}</w:t>',
    );
    expect(joinSplitPlaceholders('<w:t>{</w:t><w:t>x</w:t><w:t>}</w:t>')).toBe(
      '<w:t>{</w:t><w:t>x</w:t><w:t>}</w:t>',
    );
  });

  it('fills a DOCX template and converts it with LibreOffice', { timeout: 60_000 }, async () => {
    const body =
      '<w:p><w:r><w:t xml:space="preserve">Dear {{na</w:t></w:r><w:proofErr w:type="spellStart"/>' +
      '<w:r><w:t>me}}, you owe {{amount}} EUR.</w:t></w:r></w:p>';
    const docx = zipSync({
      '[Content_Types].xml': strToU8(
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
          '<Default Extension="xml" ContentType="application/xml"/>' +
          '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
      ),
      '_rels/.rels': strToU8(
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
          '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
      ),
      'word/document.xml': strToU8(
        '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
          `<w:body>${body}</w:body></w:document>`,
      ),
    });
    const template = compileLetterTemplate(docx, { name: 'reminder.docx', allowedFields: FIELDS });
    expect(template.kind).toBe('docx');
    expect(template.fields).toEqual(['name', 'amount']);
    const letter = await template.personalise({ name: 'Bob & <Partner>', amount: '99' });
    expect(letter.html).toBeUndefined();
    expect(pdfText(letter.pdf, 'docx')).toContain('Dear Bob & <Partner>, you owe 99 EUR.');
  });
});
