// Serial letters: templates (Markdown, HTML, DOCX, ODT) with `{{field}}` placeholders, personalised
// per recipient into an HTML email body and a PDF.
export {
  compileLetterTemplate,
  letterKindOf,
  type LetterKind,
  type LetterTemplate,
  type LetterTemplateOptions,
  type PersonalisedLetter,
} from './letter-template.ts';
export { htmlToBlocks, type LetterBlock, type TextRun } from './letter-html.ts';
export { writeLetterPdf, type LetterPaper, type LetterPdfOptions } from './letter-pdf.ts';
export { joinSplitPlaceholders } from './office-template.ts';
