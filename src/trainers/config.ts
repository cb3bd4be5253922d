// Typed flat run configs: a schema of fields (type, default, bounds, doc), values from a YAML/JSON
// file and `--key=value` overrides, validated once. Every bad field is reported, each with where
// its value came from, in one error — not the first one only.
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export type FieldType = 'int' | 'number' | 'string' | 'bool' | 'strings' | 'numbers' | 'object' | 'objects';

export interface FieldSpec {
  type: FieldType;
  default: unknown;
  doc: string;
  nullable?: boolean;
  required?: boolean;
  min?: number;
  max?: number;
  values?: readonly string[];
}

export type Schema = Record<string, FieldSpec>;

/** The LoRA fields every trainer shares (lora, lora_r, lora_alpha, lora_dropout, lora_targets). */
export function loraFields(o: { dropout: number; what: string }): Schema {
  return {
    lora: { type: 'bool', default: false, doc: `train LoRA adapters instead of all weights${o.what}` },
    lora_r: { type: 'int', default: 16, min: 1, doc: 'LoRA rank' },
    lora_alpha: { type: 'number', default: 32, min: 0, doc: 'LoRA alpha (scale alpha / r)' },
    lora_dropout: { type: 'number', default: o.dropout, min: 0, max: 0.99, doc: 'LoRA dropout' },
    lora_targets: { type: 'strings', default: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], doc: 'Linear layers that get adapters' },
  };
}

/** The epoch / batch / learning-rate fields of the SFT and distillation trainers (defaults per trainer). */
export function loopFields(o: { epochs: number; epochsDoc: string; lr: number; lrDoc: string; minLr: number; minLrDoc: string; weightDecay: number; batchDoc: string }): Schema {
  return {
    epochs: { type: 'int', default: o.epochs, min: 1, doc: o.epochsDoc },
    max_steps: { type: 'int', default: 0, min: 0, doc: 'optimizer steps; 0 = as many as the epochs take' },
    batch_size: { type: 'int', default: 8, min: 1, doc: o.batchDoc },
    grad_accum: { type: 'int', default: 1, min: 1, doc: 'micro-batches per optimizer step (loss normalised by their token count)' },
    lr: { type: 'number', default: o.lr, min: 0, doc: o.lrDoc },
    min_lr: { type: 'number', default: o.minLr, min: 0, doc: o.minLrDoc },
    schedule: { type: 'string', default: 'cosine', values: ['cosine', 'linear', 'constant'], doc: 'learning-rate schedule after warmup' },
    warmup_steps: { type: 'int', default: 0, min: 0, doc: 'warmup steps (0: use warmup_ratio)' },
    warmup_ratio: { type: 'number', default: 0.03, min: 0, max: 1, doc: 'warmup as a share of all steps' },
    weight_decay: { type: 'number', default: o.weightDecay, min: 0, doc: 'AdamW weight decay (never on norms and biases)' },
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid config (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads a config file (YAML or JSON) into a plain object; errors name the file. */
export function readConfigFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new ConfigError([`${path}: file not found`]);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError([`${path}: ${(e as Error).message.split('\n')[0]}`]);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError([`${path}: the top level must be a mapping of field: value`]);
  return doc as Record<string, unknown>;
}

/** A --key=value string converted to the field's type (strings lists split on commas). */
function fromString(spec: FieldSpec, raw: string): unknown {
  if (spec.nullable && (raw === 'null' || raw === '')) return null;
  switch (spec.type) {
    case 'int': case 'number': return raw.trim() === '' ? NaN : Number(raw);
    case 'bool': return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
    case 'strings': return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    case 'numbers': return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
    case 'object': case 'objects': try { return JSON.parse(raw); } catch { return raw; }
    default: return raw;
  }
}

function check(key: string, spec: FieldSpec, v: unknown): string | null {
  if (v === null && spec.nullable) return null;
  const got = `got ${JSON.stringify(v)}`;
  switch (spec.type) {
    case 'int':
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return `must be a number, ${got}`;
      if (spec.type === 'int' && !Number.isInteger(v)) return `must be an integer, ${got}`;
      if (spec.min !== undefined && v < spec.min) return `must be >= ${spec.min}, ${got}`;
      if (spec.max !== undefined && v > spec.max) return `must be <= ${spec.max}, ${got}`;
      return null;
    }
    case 'bool': return typeof v === 'boolean' ? null : `must be true or false, ${got}`;
    case 'string':
      if (typeof v !== 'string' || (spec.required && v === '')) return `must be a${spec.required ? ' non-empty' : ''} string, ${got}`;
      if (spec.values && !spec.values.includes(v)) return `must be one of ${spec.values.join(' | ')}, ${got}`;
      return null;
    case 'strings':
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) return `must be a list of strings, ${got}`;
      if (spec.required && v.length === 0) return 'must list at least one entry';
      return null;
    case 'numbers':
      return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)) ? null : `must be a list of numbers, ${got}`;
    case 'object': return v !== null && typeof v === 'object' && !Array.isArray(v) ? null : `must be a mapping, ${got}`;
    case 'objects': return Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x)) ? null : `must be a list of mappings, ${got}`;
  }
}

/**
 * Resolves a config: defaults < file < overrides. Unknown keys are errors (a typo is never silently
 * ignored). Throws one ConfigError listing every problem.
 */
export function resolveConfig<T>(schema: Schema, file: Record<string, unknown>, fileName: string | null, overrides: Record<string, string>): T {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(file)) if (!(key in schema)) problems.push(`${fileName ?? 'config'}: unknown field '${key}'`);
  for (const key of Object.keys(overrides)) if (!(key in schema)) problems.push(`--${key}: unknown field`);
  for (const [key, spec] of Object.entries(schema)) {
    let v: unknown = spec.default;
    let from = 'default';
    if (key in file) { v = file[key]; from = fileName ?? 'config'; }
    if (key in overrides) { v = fromString(spec, overrides[key]!); from = `--${key}`; }
    if (spec.required && (v === undefined || v === null)) { problems.push(`field '${key}' is required (${spec.doc})`); continue; }
    const bad = check(key, spec, v);
    if (bad) problems.push(`${from === 'default' ? '' : `${from}: `}field '${key}' ${bad}`);
    out[key] = v;
  }
  if (problems.length) throw new ConfigError(problems);
  return out as T;
}

/** Lines of `key: value  # doc` for a resolved config (written into the run folder). */
export function describeConfig(schema: Schema, values: Record<string, unknown>): string {
  return Object.keys(schema).map((k) => `${k}: ${JSON.stringify(values[k])}  # ${schema[k]!.doc}`).join('\n') + '\n';
}
