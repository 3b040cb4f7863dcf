// Inbound numbers (DIDs): who owns each, where its faxes go, and whether it takes calls.
export {
  DidRegistry,
  DidExistsError,
  DidNotFoundError,
  DID_CSV_COLUMNS,
  type ImportResult,
  type ListOptions,
} from './did-registry.ts';
export {
  validateDid,
  normalizeNumber,
  parseRetention,
  formatRetention,
  InvalidDidError,
  ATTACHMENT_FORMATS,
  type DidRecord,
  type DidInput,
  type AttachmentFormat,
  type Retention,
} from './did-record.ts';
