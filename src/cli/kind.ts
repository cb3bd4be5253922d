// `posttrain <kind> [--config=FILE.yaml] [--key=value ...]`: one operation of the kinds table
// (recipes/stage_kinds.ts) as a one-stage run — the same schema, validation and adapter a recipe's
// stage goes through. Prints one JSON line: the output (a model folder, a data file, eval.json) and
// the stage's metrics; an annotate run with items left for people exits 3 and says what to do.
import { mkdirSync } from 'node:fs';
import { kindTable, type KindSpec } from '../recipes/stage_kinds.js';
import { StageWaiting } from '../recipes/stages.js';
import { command, parseArgs, resolveArgs, type CommandSpec } from './args.js';
import * as pt from '../tensor/index.js';

/**
 * Refuses a launch as several ranks (WORLD_SIZE > 1) for `what`, which would run once per rank and
 * write the same files from every rank: only the trainers are data parallel.
 */
export function refuseSeveralRanks(what: string): void {
  const rv = pt.distributed.envRendezvous();
  if (rv && rv.worldSize > 1)
    throw new Error(
      `${what} runs as one process, but this one was launched as rank ${rv.rank} of ${rv.worldSize} (WORLD_SIZE=${rv.worldSize}): only the trainers (pretrain, sft, rm, distill, grpo) run data parallel; launch ${what} without torchrun / posttrain launch`,
    );
}

/** A kind as a command. */
function kindCommand(name: string, k: KindSpec): CommandSpec {
  return command({
    summary: k.summary,
    schema: k.schema,
    configFiles: true,
    run: async (cfg, where) => {
      if (!k.dataParallel) refuseSeveralRanks(`posttrain ${name}`);
      const dir = k.folder(cfg);
      mkdirSync(dir, { recursive: true });
      try {
        const r = await k.run(cfg, { dir, out: dir, name, log: (l) => process.stderr.write(`${l}\n`), where, outputs: {} });
        if ((pt.distributed.envRendezvous()?.rank ?? 0) === 0)
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
