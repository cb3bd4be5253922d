// Typed flat configs, declared once: a schema of fields (type, default, bounds, doc) from which the
// TypeScript type is inferred (ConfigOf), the values are resolved (defaults < file < --key=value
// overrides, validated once, every bad field reported in one error with where its value came
// from), the help is printed and a JSON Schema is emitted for editors. Unknown keys are refused
// everywhere, with a did-you-mean suggestion; a bare string is accepted where a list is expected.
// Knows nothing about trainers: each kind declares its own schema.
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export type FieldType = 'int' | 'number' | 'string' | 'bool' | 'strings' | 'numbers' | 'object' | 'objects';

export interface FieldSpec {
  readonly type: FieldType;
  readonly default: unknown;
  readonly doc: string;
  readonly nullable?: boolean;
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
}

export type Schema = Readonly<Record<string, FieldSpec>>;

type Base<F> = F extends { type: 'int' | 'number' }
  ? number
  : F extends { type: 'bool' }
    ? boolean
    : F extends { type: 'string'; values: readonly (infer V)[] }
      ? V
      : F extends { type: 'string' }
        ? string
        : F extends { type: 'strings' }
          ? string[]
          : F extends { type: 'numbers' }
            ? number[]
            : F extends { type: 'object' }
              ? Record<string, unknown>
              : F extends { type: 'objects' }
                ? Record<string, unknown>[]
                : unknown;
/** The value type of one field: its type, its allowed values, `| null` when nullable. */
export type FieldValue<F> = F extends { nullable: true } ? Base<F> | null : Base<F>;
/** The config type a schema declares. */
export type ConfigOf<S extends Schema> = { -readonly [K in keyof S]: FieldValue<S[K]> };

/** Declares a schema, keeping its literal types (so ConfigOf infers 'cosine' | 'linear', not string). */
export function defineSchema<const S extends Schema>(schema: S): S {
  return schema;
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
    // yaml's errors carry linePos: name the spot as file:line:column, the way editors jump to it
    const pos = (e as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    const detail = (e as Error).message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError([`${pos ? `${path}:${pos.line}:${pos.col}` : path}: ${detail}`]);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError([`${path}: the top level must be a mapping of field: value`]);
  return doc as Record<string, unknown>;
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), capped at `cap` + 1. */
function distance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/** Names other toolkits (and posttrain before it spoke TRL's vocabulary) use for a field: data. */
export const SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  model_name_or_path: ['model', 'model_path', 'base_model', 'student'],
  dataset_name: ['train_data', 'train_file', 'train_files', 'data', 'dataset', 'data_files'],
  eval_dataset_name: ['eval_data', 'eval_file', 'validation_file'],
  learning_rate: ['lr'],
  num_train_epochs: ['epochs', 'n_epochs', 'num_epochs'],
  per_device_train_batch_size: ['batch_size', 'train_batch_size', 'micro_batch_size', 'micro_batch_size_per_gpu'],
  gradient_accumulation_steps: ['grad_accum', 'accumulation_steps'],
  max_length: ['seq_len', 'max_seq_length', 'max_seq_len', 'sequence_len', 'cutoff_len'],
  lr_scheduler_type: ['schedule', 'scheduler', 'lr_scheduler'],
  save_steps: ['save_every', 'checkpoint_every'],
  save_total_limit: ['keep_last', 'max_checkpoints'],
  eval_steps: ['eval_every'],
  resume_from_checkpoint: ['resume'],
  use_peft: ['lora', 'use_lora'],
  lora_target_modules: ['lora_targets', 'target_modules'],
  adam_beta1: ['beta1'],
  adam_beta2: ['beta2'],
  adam_epsilon: ['eps', 'adam_eps'],
  num_generations: ['group_size', 'n_samples', 'rollout_n'],
  max_completion_length: ['max_new_tokens', 'max_response_length', 'response_length'],
  max_prompt_length: ['max_prompt_tokens'],
  reward_funcs: ['rewards', 'reward_fns', 'reward_functions'],
  epsilon: ['eps_low', 'clip_ratio_low', 'clip_range', 'cliprange'],
  epsilon_high: ['eps_high', 'clip_ratio_high'],
  importance_sampling_level: ['ratio_level'],
  loss_type: ['aggregation', 'loss_agg_mode'],
  scale_rewards: ['adv_scale', 'norm_adv_by_std_in_grpo'],
  num_iterations: ['mu', 'ppo_epochs'],
  mask_truncated_completions: ['mask_truncated'],
  ref_model_sync_steps: ['ref_refresh_every'],
  center_rewards_coefficient: ['center_rewards'],
  lmbda: ['lambda', 'lambda_'],
  teacher_model_name_or_path: ['teacher', 'teacher_model'],
  completion_only_loss: ['loss_on', 'assistant_only_loss', 'train_on_inputs'],
};

/** The field a mistyped key most likely meant ("epoch" → num_train_epochs, "lr" → learning_rate), or null. */
export function suggestField(key: string, fields: readonly string[]): string | null {
  const k = key.toLowerCase().replace(/-/g, '_');
  const synonym = fields.find((f) => SYNONYMS[f]?.includes(k));
  if (synonym) return synonym;
  let best: string | null = null;
  let bestD = Infinity;
  for (const f of fields) {
    const cap = Math.max(1, Math.floor(f.length / 4));
    const d = distance(k, f, cap);
    if (d <= cap && d < bestD) {
      best = f;
      bestD = d;
    }
  }
  if (best) return best;
  // a key that is a word of a longer field name (epoch → num_train_epochs, lr → learning_rate is not)
  const words = fields.filter((f) => f.split('_').some((w) => w === k || w === `${k}s` || (k.length >= 4 && w.startsWith(k))));
  return words.length === 1 ? words[0]! : null;
}

function unknownField(key: string, where: string, fields: readonly string[]): string {
  const s = suggestField(key, fields);
  return `${where}unknown field '${key}'${s ? ` (did you mean '${s}'?)` : ''}`;
}

/** A --key=value string converted to the field's type (lists split on commas). */
function fromString(spec: FieldSpec, raw: string): unknown {
  if (spec.nullable && (raw === 'null' || raw === '')) return null;
  switch (spec.type) {
    case 'int':
    case 'number':
      return raw.trim() === '' ? NaN : Number(raw);
    case 'bool':
      return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
    case 'strings':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    case 'numbers':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
        .map(Number);
    case 'object':
    case 'objects':
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}

function check(spec: FieldSpec, v: unknown): string | null {
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
    case 'bool':
      return typeof v === 'boolean' ? null : `must be true or false, ${got}`;
    case 'string':
      if (typeof v !== 'string' || (spec.required && v === '')) return `must be a${spec.required ? ' non-empty' : ''} string, ${got}`;
      if (spec.values && !spec.values.includes(v)) return `must be one of ${spec.values.join(' | ')}, ${got}`;
      return null;
    case 'strings': {
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) return `must be a list of strings, ${got}`;
      if (spec.required && v.length === 0) return 'must list at least one entry';
      const outside = spec.values ? v.find((s) => !spec.values!.includes(s)) : undefined;
      if (outside !== undefined) return `entries must be among ${spec.values!.join(' | ')}, got '${outside}'`;
      return null;
    }
    case 'numbers':
      return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)) ? null : `must be a list of numbers, ${got}`;
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? null : `must be a mapping, ${got}`;
    case 'objects':
      return Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))
        ? null
        : `must be a list of mappings, ${got}`;
  }
}

/**
 * Resolves a config: defaults < file < overrides. Unknown keys are errors with a suggestion (a typo
 * is never silently ignored); a bare string or number where a list is expected is a one-item list.
 * Throws one ConfigError listing every problem.
 */
export function resolveConfig<S extends Schema>(
  schema: S,
  file: Record<string, unknown>,
  fileName: string | null,
  overrides: Record<string, string> = {},
): ConfigOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  const fields = Object.keys(schema);
  for (const key of Object.keys(file)) if (!(key in schema)) problems.push(unknownField(key, `${fileName ?? 'config'}: `, fields));
  for (const key of Object.keys(overrides)) if (!(key in schema)) problems.push(unknownField(key, `--${key}: `, fields));
  for (const [key, spec] of Object.entries(schema)) {
    let v: unknown = spec.default;
    let from = 'default';
    if (key in file) {
      v = file[key];
      from = fileName ?? 'config';
    }
    if (key in overrides) {
      v = fromString(spec, overrides[key]!);
      from = `--${key}`;
    }
    if ((spec.type === 'strings' && typeof v === 'string') || (spec.type === 'numbers' && typeof v === 'number')) v = [v];
    if (spec.required && (v === undefined || v === null)) {
      problems.push(`field '${key}' is required (${spec.doc})`);
      continue;
    }
    const bad = check(spec, v);
    if (bad) problems.push(`${from === 'default' ? '' : `${from}: `}field '${key}' ${bad}`);
    out[key] = v;
  }
  if (problems.length) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

/** Lines of `key: value  # doc` for a resolved config (written into the run folder). */
export function describeConfig(schema: Schema, values: Record<string, unknown>): string {
  return (
    Object.keys(schema)
      .map((k) => `${k}: ${JSON.stringify(values[k])}  # ${schema[k]!.doc}`)
      .join('\n') + '\n'
  );
}

function typeName(spec: FieldSpec): string {
  const t = spec.values
    ? spec.values.join(' | ')
    : spec.type === 'strings'
      ? 'list of strings'
      : spec.type === 'numbers'
        ? 'list of numbers'
        : spec.type === 'objects'
          ? 'list of mappings'
          : spec.type === 'object'
            ? 'mapping'
            : spec.type === 'bool'
              ? 'true | false'
              : spec.type;
  return spec.nullable ? `${t} | null` : t;
}

/** The help for a schema: one block per field with its type, default (or "required") and meaning. */
export function schemaHelp(schema: Schema): string {
  return (
    Object.entries(schema)
      .map(([k, s]) => {
        const def = s.required ? 'required' : `default ${JSON.stringify(s.default)}`;
        const bounds = [s.min !== undefined ? `>= ${s.min}` : '', s.max !== undefined ? `<= ${s.max}` : ''].filter(Boolean).join(', ');
        return `  ${k}  (${typeName(s)}${bounds ? `, ${bounds}` : ''}; ${def})\n      ${s.doc}`;
      })
      .join('\n') + '\n'
  );
}

/** A JSON Schema (draft 2020-12) of the config, so editors complete and check YAML files. */
export function jsonSchema(schema: Schema, title: string): Record<string, unknown> {
  const prop = (s: FieldSpec): Record<string, unknown> => {
    const base: Record<string, unknown> =
      s.type === 'int'
        ? { type: 'integer' }
        : s.type === 'number'
          ? { type: 'number' }
          : s.type === 'bool'
            ? { type: 'boolean' }
            : s.type === 'string'
              ? s.values
                ? { type: 'string', enum: [...s.values] }
                : { type: 'string' }
              : s.type === 'strings'
                ? { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }
                : s.type === 'numbers'
                  ? { anyOf: [{ type: 'number' }, { type: 'array', items: { type: 'number' } }] }
                  : s.type === 'object'
                    ? { type: 'object' }
                    : { type: 'array', items: { type: 'object' } };
    if (s.min !== undefined) base['minimum'] = s.min;
    if (s.max !== undefined) base['maximum'] = s.max;
    const p = s.nullable ? { anyOf: [base, { type: 'null' }] } : base;
    return { ...p, description: s.doc, ...(s.default !== null && s.default !== undefined ? { default: s.default } : {}) };
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title,
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(Object.entries(schema).map(([k, s]) => [k, prop(s)])),
    required: Object.entries(schema)
      .filter(([, s]) => s.required)
      .map(([k]) => k),
  };
}
