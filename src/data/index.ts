// The data layer: files of training rows (JSONL, JSON, Parquet) → TRL-format examples → token ids
// with loss masks → packed rows → int64 batches, with seeded, resumable batch order.
export { DataError, typeName, type RowSource } from './errors.js';
export { readRows, isPlainObject, SUPPORTED_EXTENSIONS, DEFAULT_MAX_LINE_BYTES, type RawRow, type ReadRowsOptions } from './readers.js';
export { readFields, readOptionsOf } from './read_fields.js';
export { parseExample, ROLES, type Example, type ParsedRow } from './formats.js';
export {
  tokenizeExample,
  tokenizeFull,
  fitLength,
  type TokenizedExample,
  type TokenizeOptions,
  type LossOn,
  type Truncation,
} from './tokenize.js';
export {
  packExamples,
  padRows,
  computeTargets,
  packingStats,
  IGNORE_INDEX,
  PAD_SEGMENT,
  type PackedRow,
  type PackOptions,
  type PackingStats,
} from './packing.js';
export {
  toBatch,
  BatchSampler,
  seededPermutation,
  type Batch,
  type SamplerState,
  type SamplerOptions,
  type SampledBatch,
} from './batches.js';
export {
  loadExamples,
  expandPaths,
  type LoadOptions,
  type LoadedExamples,
  type LoadCounts,
  type SkippedRow,
  type ErrorPolicy,
} from './dataset.js';
export { loadPreferences, type PreferencePair, type LoadPreferencesResult } from './preferences.js';
