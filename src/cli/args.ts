// The command line's one argument parser and its command shape. Every command declares a schema
// (common/schema.ts), so every command reads `--key=value` (or `--key value`, or a bare `--flag`
// for true; dashes in keys read as underscores), `--config=FILE.yaml` and `--help` the same way, and
// its values are validated by the one path configs go through (unknown keys refused with a
// did-you-mean). A usage error — the command line itself is wrong — exits with code 2.
import { readConfigFile, resolveConfig, schemaHelp, type ConfigOf, type Schema } from '../common/schema.js';

/** A usage error: the command line itself is wrong (exit code 2). */
export class UsageError extends Error {}

/** One command: what it does, its fields, and how it runs a resolved config (to an exit code). */
export interface CommandSpec<S extends Schema = Schema> {
  summary: string;
  schema: S;
  /** The field a bare first argument fills (`posttrain run RECIPE.yaml`). */
  positional?: keyof S & string;
  /** `--json-schema` prints the schema for editors (the kinds, whose configs live in files). */
  configFiles?: boolean;
  /** The first bare argument starts another command line, passed through as `trailing` (`posttrain launch … sft …`). */
  trailingCommand?: boolean;
  run: (cfg: ConfigOf<S>, where: string, trailing: readonly string[]) => Promise<number>;
}

/** Declares a command, keeping its schema's literal types. */
export function command<const S extends Schema>(c: CommandSpec<S>): CommandSpec<S> {
  return c;
}

export interface ParsedArgs {
  configFile: string | null;
  overrides: Record<string, string>;
  help: boolean;
  jsonSchema: boolean;
}

/** Splits arguments into --config, --help, --json-schema and the field overrides. */
export function parseArgs(args: readonly string[], positional?: string, positionalList = false): ParsedArgs {
  let configFile: string | null = null;
  const overrides: Record<string, string> = {};
  let help = false,
    schema = false,
    bare = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--help' || a === '-h') {
      help = true;
      continue;
    }
    if (a === '--json-schema') {
      schema = true;
      continue;
    }
    const m = /^--([\w-]+)(?:=(.*))?$/s.exec(a);
    if (!m) {
      // a leading bare argument fills the positional field (several, comma-joined, when it is a list)
      if (positional && i === bare && (i === 0 || positionalList)) {
        overrides[positional] = i === 0 ? a : `${overrides[positional]},${a}`;
        bare++;
        continue;
      }
      throw new UsageError(`unexpected argument '${a}' (flags look like --key=value)`);
    }
    let value = m[2];
    if (value === undefined && i + 1 < args.length && !args[i + 1]!.startsWith('--')) value = args[++i];
    const key = m[1]!.replace(/-/g, '_');
    if (key === 'config') {
      if (value === undefined) throw new UsageError('--config needs a file: --config=FILE.yaml');
      configFile = value;
    } else overrides[key] = value ?? 'true';
  }
  return { configFile, overrides, help, jsonSchema: schema };
}

/** A command's config from its arguments: defaults < --config file < --key=value (errors name file and field). */
export function resolveArgs<S extends Schema>(c: CommandSpec<S>, a: ParsedArgs): ConfigOf<S> {
  return resolveConfig(c.schema, a.configFile ? readConfigFile(a.configFile) : {}, a.configFile, a.overrides);
}

/** The help of a command: usage, what it does, every field with type, default and meaning. */
export function commandHelp(name: string, c: CommandSpec): string {
  const lead = c.positional ? ` ${c.positional.toUpperCase()}` : '';
  const tail = c.trailingCommand ? ' <command> [its arguments ...]' : '';
  return (
    `usage: posttrain ${name}${lead} [--config=FILE.yaml] [--key=value ...]${tail}\n\n${c.summary}\n\n` +
    `fields (in the config file, or as --key=value with - or _; lists comma-separated):\n${schemaHelp(c.schema)}`
  );
}
