// `posttrain <kind> [--config=FILE.yaml] [--key=value ...]`: one operation of the kinds table
// (recipes/stage_kinds.ts) as a one-stage run — the same schema, validation and adapter a recipe's
// stage goes through. Prints one JSON line: the output (a model folder, a data file, eval.json) and
// the stage's metrics; an annotate run with items left for people exits 3 and says what to do.
import { mkdirSync } from 'node:fs';
import { kindTable, type KindSpec } from '../recipes/stage_kinds.js';
import { StageWaiting } from '../recipes/stages.js';
import { command, parseArgs, resolveArgs, type CommandSpec } from './args.js';

/** A kind as a command. */
function kindCommand(name: string, k: KindSpec): CommandSpec {
  return command({
    summary: k.summary,
    schema: k.schema,
    configFiles: true,
    run: async (cfg, where) => {
      const dir = k.folder(cfg);
      mkdirSync(dir, { recursive: true });
      try {
        const r = await k.run(cfg, { dir, out: dir, name, log: (l) => process.stderr.write(`${l}\n`), where, outputs: {} });
        process.stdout.write(`${JSON.stringify({ output: r.output, ...(r.metrics ?? {}) })}\n`);
        return 0;
      } catch (e) {
        if (!(e instanceof StageWaiting)) throw e;
        process.stderr.write(`${e.message}\n`);
        return 3;
      }
    },
  });
}

/** Every kind of the table as a command, by its name. */
export function kindCommands(): Record<string, CommandSpec> {
  return Object.fromEntries(Object.entries(kindTable()).map(([name, k]) => [name, kindCommand(name, k)]));
}

/** Resolves a kind's config from command-line arguments, as the command does. */
export function kindConfig(name: string, args: readonly string[]): Record<string, unknown> {
  const c = kindCommands()[name];
  if (!c) throw new Error(`unknown kind '${name}'`);
  return resolveArgs(c, parseArgs(args)) as Record<string, unknown>;
}
