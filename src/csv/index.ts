// Streaming CSV with limits (DID bulk import/export, campaign recipient lists).
export {
  parseCsv,
  formatCsvRecord,
  CsvFormatError,
  DEFAULT_CSV_LIMITS,
  type CsvLimits,
  type CsvRecord,
} from './csv.ts';
