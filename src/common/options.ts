// Option objects of the public functions (applyLora(model, { r, alpha, ... }), saveModel(model, dir,
// { lora }), ...), checked at the front door by one validator: every key must be a known option
// (a misspelling is refused with a did-you-mean, from the config schema's suggestField), required
// options must be there, and each value must have its declared type and range. Problems surface as
// an OptionError (a TypeError) naming the function and the option, instead of a bare TypeError from
// deep inside ("Cannot read properties of undefined") or a silently ignored typo.
// Knows nothing about what the options mean: each function declares its own OptionSpecs.
import { suggestField } from './schema.js';

export type OptionType = 'int' | 'number' | 'string' | 'boolean' | 'strings' | 'numbers' | 'object' | 'function' | 'any';

export interface OptionSpec {
  readonly type: OptionType;
  /** What the option is for (quoted when it is missing). */
  readonly doc: string;
  readonly required?: boolean;
  /** null is accepted as "not set". */
  readonly nullable?: boolean;
  /** Bounds of a number: min <= v, v <= max, v < below. */
  readonly min?: number;
  readonly max?: number;
  readonly below?: number;
  /** The allowed values (strings or numbers), e.g. ['merge', 'base']. */
  readonly values?: readonly (string | number)[];
  /** Other names people write for it (PEFT's 'lora_alpha' for alpha), for the did-you-mean. */
  readonly aka?: readonly string[];
  /** For type 'object': the class its value must be an instance of (e.g. Generator). */
  readonly instanceOf?: abstract new (...args: never[]) => unknown;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** A bad option object: an unknown option (with a suggestion), a missing one, or a wrong value. */
export class OptionError extends TypeError {
  /** The public function whose options these are, e.g. 'applyLora'. */
  readonly fn: string;
  /** The option at fault ('' when the options object itself is not an object). */
  readonly option: string;
  /** The options the function accepts. */
  readonly accepted: readonly string[];
  /** The option an unknown name most likely meant, or null. */
  readonly suggestion: string | null;
  constructor(fn: string, option: string, detail: string, accepted: readonly string[], suggestion: string | null = null) {
    super(`${fn}: ${detail}`);
    this.name = 'OptionError';
    this.fn = fn;
    this.option = option;
    this.accepted = accepted;
    this.suggestion = suggestion;
  }
}

const squash = (s: string): string => s.toLowerCase().replace(/[_-]/g, '');

/** The option an unknown key most likely meant: same name in another case style, a known other name, or a near spelling. */
export function suggestOption(key: string, specs: OptionSpecs): string | null {
  const names = Object.keys(specs);
  const same = names.find((n) => squash(n) === squash(key) || specs[n]!.aka?.some((a) => squash(a) === squash(key)));
  if (same) return same;
  const aliases = new Map<string, string>();
  for (const n of names) for (const a of specs[n]!.aka ?? []) aliases.set(a, n);
  const s = suggestField(key, [...names, ...aliases.keys()]);
  return s === null ? null : (aliases.get(s) ?? s);
}

function typeProblem(spec: OptionSpec, v: unknown): string | null {
  const got = `got ${describe(v)}`;
  if (spec.values && !spec.values.includes(v as string | number))
    return `must be one of ${spec.values.map((x) => JSON.stringify(x)).join(' | ')}, ${got}`;
  switch (spec.type) {
    case 'int':
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return `must be a finite number, ${got}`;
      if (spec.type === 'int' && !Number.isInteger(v)) return `must be an integer, ${got}`;
      if (spec.min !== undefined && v < spec.min) return `must be >= ${spec.min}, ${got}`;
      if (spec.max !== undefined && v > spec.max) return `must be <= ${spec.max}, ${got}`;
      if (spec.below !== undefined && !(v < spec.below)) return `must be < ${spec.below}, ${got}`;
      break;
    }
    case 'string':
      if (typeof v !== 'string') return `must be a string, ${got}`;
      break;
    case 'boolean':
      if (typeof v !== 'boolean') return `must be true or false, ${got}`;
      break;
    case 'strings':
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) return `must be a list of strings, ${got}`;
      break;
    case 'numbers':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) return `must be a list of numbers, ${got}`;
      break;
    case 'object':
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return `must be an object, ${got}`;
      if (spec.instanceOf && !(v instanceof spec.instanceOf)) return `must be a ${spec.instanceOf.name}, ${got}`;
      break;
    case 'function':
      if (typeof v !== 'function') return `must be a function, ${got}`;
      break;
    case 'any':
      break;
  }
  return null;
}

/** A short rendering of a value for messages: JSON for plain data, the class name otherwise. */
function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return `a function`;
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype)
    return `a ${v.constructor?.name ?? 'object'}`;
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Checks `fn`'s option object against its specs and returns it typed. undefined counts as {} (the
 * options were left out); an option set to undefined counts as not set. Throws an OptionError for
 * the first problem: not an object, an unknown key (with a did-you-mean), a missing required
 * option, or a value of the wrong type or out of range.
 */
export function checkOptions<T extends object>(fn: string, opts: T | undefined, specs: OptionSpecs): T {
  const accepted = Object.keys(specs);
  if (opts === undefined) opts = {} as T;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts))
    throw new OptionError(fn, '', `options must be an object, got ${describe(opts)}`, accepted);
  for (const key of Object.keys(opts)) {
    if (Object.hasOwn(specs, key)) continue;
    const s = suggestOption(key, specs);
    throw new OptionError(
      fn,
      key,
      `unknown option '${key}'${s ? ` (did you mean '${s}'?)` : ''}; the options are ${accepted.join(', ')}`,
      accepted,
      s,
    );
  }
  const o = opts as Record<string, unknown>;
  for (const [key, spec] of Object.entries(specs)) {
    const v = o[key];
    if (v === undefined || (v === null && spec.nullable)) {
      if (spec.required) throw new OptionError(fn, key, `option ${key} is required (${spec.doc})`, accepted);
      continue;
    }
    const bad = typeProblem(spec, v);
    if (bad) throw new OptionError(fn, key, `${key} ${bad}`, accepted);
  }
  return opts;
}
