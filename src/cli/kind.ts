// `posttrain <kind> [--config=FILE.yaml] [--key=value ...]`: one operation of the kinds table
// (recipes/stage_kinds.ts) as a one-stage run — the same schema, validation and adapter a recipe's
// stage goes through. `--help` prints the kind's fields from its schema; `--json-schema` prints the
// JSON Schema editors use to complete and check a config file. Prints one JSON line: the output
// (a model folder or a data file) and the stage's metrics.
import { mkdirSync } from 'node:fs';
import { jsonSchema, readConfigFile, resolveConfig, schemaHelp } from '../common/schema.js';
import { kindTable, type KindSpec } from '../recipes/stage_kinds.js';

/** A usage error: the command line itself is wrong (exit code 2). */
export class UsageError extends Error {}

export interface KindArgs {
  configFile: string | null;
  overrides: Record<string, string>;
  help: boolean;
  jsonSchema: boolean;
}

/** `--key=value`, `--key value` or a bare `--flag` (true); dashes in keys read as underscores. */
export function parseKindArgs(args: readonly string[]): KindArgs {
  let configFile: string | null = null;
  const overrides: Record<string, string> = {};
  let help = false,
    schema = false;
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
    if (!m) throw new UsageError(`unexpected argument '${a}' (flags look like --key=value)`);
    let value = m[2];
    if (value === undefined && i + 1 < args.length && !args[i + 1]!.startsWith('--')) value = args[++i];
    const key = m[1]!.replace(/-/g, '_');
    if (key === 'config') configFile = value ?? null;
    else overrides[key] = value ?? 'true';
  }
  return { configFile, overrides, help, jsonSchema: schema };
}

/** The help of a kind: usage, what it does, every field with type, default and meaning. */
export function kindHelp(name: string, k: KindSpec): string {
  return `usage: posttrain ${name} [--config=FILE.yaml] [--key=value ...]\n\n${k.summary}\n\nfields (in the config file, or as --key=value; lists comma-separated):\n${schemaHelp(k.schema)}`;
}

/** The kind of a command name, or a usage error. */
function kindOf(name: string): KindSpec {
  const k = kindTable()[name];
  if (!k) throw new UsageError(`unknown kind '${name}'`);
  return k;
}

/** A kind's config from its file and overrides (one validation path; errors name file and field). */
function resolveKindConfig(k: KindSpec, a: KindArgs): Record<string, unknown> {
  return resolveConfig(k.schema, a.configFile ? readConfigFile(a.configFile) : {}, a.configFile, a.overrides) as Record<string, unknown>;
}

/** Resolves a kind's config from command-line arguments, as the command does. */
export function kindConfig(name: string, args: readonly string[]): Record<string, unknown> {
  return resolveKindConfig(kindOf(name), parseKindArgs(args));
}

export async function kindCommand(name: string, args: string[]): Promise<void> {
  const k = kindOf(name);
  const a = parseKindArgs(args);
  if (a.help) {
    process.stdout.write(kindHelp(name, k));
    return;
  }
  if (a.jsonSchema) {
    process.stdout.write(`${JSON.stringify(jsonSchema(k.schema, `posttrain ${name}`), null, 2)}\n`);
    return;
  }
  const cfg = resolveKindConfig(k, a);
  const dir = k.folder(cfg);
  mkdirSync(dir, { recursive: true });
  const r = await k.run(cfg, {
    dir,
    out: dir,
    name,
    log: (l) => process.stderr.write(`${l}\n`),
    where: a.configFile ?? 'the command line',
    outputs: {},
  });
  process.stdout.write(`${JSON.stringify({ output: r.output, ...(r.metrics ?? {}) })}\n`);
}
