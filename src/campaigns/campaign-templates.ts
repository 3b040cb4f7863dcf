// Each campaign's compiled templates, kept per node: compiled once from the sealed template on first
// use (any node may run any recipient, and a takeover brings new ones), and dropped when unused.
import type { FaxArchive } from '../archive/index.ts';
import type { DocumentRenderer, FaxPage } from '../documents/index.ts';
import { compileLetterTemplate, type LetterTemplate } from '../letters/index.ts';
import { compileTemplate, type Template } from '../templates/index.ts';
import { TerminalError } from '../../cluster/index.ts';
import type { CampaignSettings, RecipientRow } from './campaign-store.ts';

const KEPT = 32;

interface Compiled {
  readonly letter: LetterTemplate;
  readonly subject: Template;
}

export class CampaignTemplates {
  readonly #archive: FaxArchive;
  readonly #renderer: DocumentRenderer;
  /** Insertion order is use order: the first entry is the least recently used. */
  readonly #compiled = new Map<string, Promise<Compiled>>();

  constructor(archive: FaxArchive, renderer: DocumentRenderer) {
    this.#archive = archive;
    this.#renderer = renderer;
  }

  async letter(settings: CampaignSettings): Promise<LetterTemplate> {
    return (await this.#get(settings)).letter;
  }

  async subject(settings: CampaignSettings): Promise<Template> {
    return (await this.#get(settings)).subject;
  }

  /** The recipient's letter as fax pages: its PDF rendered like any PDF attachment. */
  async faxPages(settings: CampaignSettings, row: RecipientRow): Promise<FaxPage[]> {
    const letter = await (await this.letter(settings)).personalise(row.fields);
    const rendered = await this.#renderer.render(letter.pdf, {
      name: `${settings.name} (line ${row.line})`,
      mode: 'text',
    });
    return rendered.pages;
  }

  #get(settings: CampaignSettings): Promise<Compiled> {
    const cached = this.#compiled.get(settings.campaignId);
    if (cached) {
      this.#compiled.delete(settings.campaignId);
      this.#compiled.set(settings.campaignId, cached);
      return cached;
    }
    const compiled = this.#compile(settings);
    compiled.catch(() => this.#compiled.delete(settings.campaignId));
    this.#compiled.set(settings.campaignId, compiled);
    while (this.#compiled.size > KEPT) this.#compiled.delete(this.#compiled.keys().next().value!);
    return compiled;
  }

  async #compile(settings: CampaignSettings): Promise<Compiled> {
    const content = await this.#archive.get(settings.template.objectId);
    if (!content)
      throw new TerminalError(`the template of campaign ${settings.campaignId} is no longer in the archive`);
    return {
      letter: compileLetterTemplate(content, {
        name: settings.template.name,
        allowedFields: settings.columns,
        date: new Date(settings.createdAt),
      }),
      subject: compileTemplate(settings.subject, { allowedFields: settings.columns, name: 'the subject' }),
    };
  }
}
