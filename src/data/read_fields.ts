// The config fields of the data readers' guards, declared once for every trainer that reads data
// files through loadExamples / loadPreferences (sft, distill, rm) or GRPO's loadPrompts, and their mapping onto
// ReadRowsOptions (readers.ts): the longest JSONL line read and whether control characters may
// stay in text.
import type { FieldSpec } from '../common/schema.js';
import { DEFAULT_MAX_LINE_BYTES, type ReadRowsOptions } from './readers.js';

export function readFields() {
  return {
    max_line_bytes: {
      type: 'int',
      default: DEFAULT_MAX_LINE_BYTES,
      min: 1,
      doc: 'longest line of a JSONL data file, in bytes (default 16 MiB); a longer line is a malformed row, found without reading it into memory',
    },
    allow_control_characters: {
      type: 'bool',
      default: false,
      doc: 'keep rows whose strings hold control characters (NUL, ESC, … other than tab and line breaks) or U+FFFE/U+FFFF; default: a malformed row naming the field',
    },
  } as const satisfies Record<string, FieldSpec>;
}

/** ReadRowsOptions from a config with readFields(). */
export function readOptionsOf(cfg: {
  max_line_bytes: number;
  allow_control_characters: boolean;
}): Pick<ReadRowsOptions, 'maxLineBytes' | 'allowControlChars'> {
  return { maxLineBytes: cfg.max_line_bytes, allowControlChars: cfg.allow_control_characters };
}
