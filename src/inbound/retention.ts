// Deletes the content of faxes whose retention has run out. Every node runs one; they may overlap
// (deleting twice is harmless), so no coordination is needed. Records stay: metadata outlives content.
import type { FaxArchive } from '../archive/index.ts';
import type { Logger } from '../observability/index.ts';
import { purgeFax } from './email-delivery.ts';
import type { FaxRecords } from './fax-records.ts';

const BATCH = 100;

export class RetentionSweeper {
  readonly #records: FaxRecords;
  readonly #archive: FaxArchive;
  readonly #logger: Logger;
  readonly #clock: () => number;
  #timer: NodeJS.Timeout | undefined;

  constructor(records: FaxRecords, archive: FaxArchive, logger: Logger, clock: () => number = Date.now) {
    this.#records = records;
    this.#archive = archive;
    this.#logger = logger;
    this.#clock = clock;
  }

  start(intervalMs: number): void {
    this.#timer = setInterval(() => {
      this.sweep().catch((error: unknown) => this.#logger.warn({ err: error }, 'retention sweep failed'));
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Purges every fax due now; resolves to how many. */
  async sweep(): Promise<number> {
    let purged = 0;
    for (;;) {
      const now = this.#clock();
      const due = await this.#records.dueForPurge(now, BATCH);
      for (const faxId of due) await purgeFax(this.#records, this.#archive, faxId, now);
      purged += due.length;
      if (due.length < BATCH) break;
    }
    if (purged > 0) this.#logger.info({ purged }, 'fax content past its retention deleted');
    return purged;
  }
}
