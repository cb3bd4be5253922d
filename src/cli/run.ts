// `posttrain run RECIPE.yaml [--out=DIR]`: DeepSeek-V3's post-training as a recipe of stages, run in
// order in one run folder (src/recipes/stages.ts: each stage's output cached, a killed run resumes
// at the stage it stopped in). The recipe file:
//   out: runs/my-recipe            # the run folder (default runs/<file name>)
//   stages:
//     - { name: expert-sft, kind: sft, model_name_or_path: ./base, dataset_name: [long_cot.jsonl], num_train_epochs: 2 }
//     - { name: reasoning-data, kind: gen-data, teacher: "${expert-sft}", prompts: [problems.jsonl] }
//     - ...                        # kinds: pretrain sft rm grpo distill gen-data mix annotate eval
//   report:                        # optional: the Table 9 rows, from an eval stage
//     distillation: { eval: eval, rows: [grpo, distilled, teacher], benchmark: MATH-500 }
// Every field besides name and kind is that kind's config (the fields of the matching command,
// through the same kinds table: recipes/stage_kinds.ts; `posttrain <kind> --help` lists them).
// Afterwards report.html is written to the run folder and its tables printed. A stage waiting for
// people (the annotation gate) ends the run with exit code 3 and says what to do.
import { basename, extname, join } from 'node:path';
import { readConfigFile } from '../common/schema.js';
import { runStages, stageSummaries, type RunReport, type StageSpec } from '../recipes/stages.js';
import { stageKinds } from '../recipes/stage_kinds.js';
import type { ModelEvaluation } from '../eval/models.js';
import { writeReport, terminalSummary, type ReportInput } from '../report/report.js';
import { defineSchema } from '../common/schema.js';
import { command } from './args.js';
import { refuseSeveralRanks } from './kind.js';

interface RecipeFile {
  out?: unknown;
  stages?: unknown;
  report?: { distillation?: { eval?: unknown; rows?: unknown; benchmark?: unknown } };
}

export function recipeStages(doc: RecipeFile, file: string): StageSpec[] {
  if (!Array.isArray(doc.stages) || doc.stages.length === 0)
    throw new Error(`${file}: 'stages' must be a non-empty list of {name, kind, ...config}`);
  return doc.stages.map((s, i) => {
    if (s === null || typeof s !== 'object' || Array.isArray(s))
      throw new Error(`${file}: stages[${i}] must be a mapping with name and kind`);
    const { name, kind, ...config } = s as Record<string, unknown>;
    if (typeof name !== 'string' || typeof kind !== 'string') throw new Error(`${file}: stages[${i}] needs 'name' and 'kind' strings`);
    return { name, kind, config };
  });
}

/** The report of a recipe run: its stages' metrics, the eval stages' models, the Table 9 rows asked for. */
export function recipeReport(run: RunReport, doc: RecipeFile, file: string): ReportInput {
  const evaluations = run.stages
    .filter((st) => st.kind === 'eval')
    .flatMap((st) =>
      ((st.metrics['models'] ?? []) as ModelEvaluation[]).map((m) => ({
        model: m.name,
        stage: st.name,
        accuracy: m.accuracy,
        meanLength: m.meanLength,
        extra: { 'pass@1': m.pass1, problems: m.n },
      })),
    );
  const d = doc.report?.distillation;
  let distillation: ReportInput['distillation'] = null;
  if (d) {
    const evalStage = run.stages.find((st) => st.name === d.eval);
    if (!evalStage || evalStage.kind !== 'eval')
      throw new Error(`${file}: report.distillation.eval must name an eval stage, got ${JSON.stringify(d.eval)}`);
    const models = (evalStage.metrics['models'] ?? []) as ModelEvaluation[];
    if (!Array.isArray(d.rows)) throw new Error(`${file}: report.distillation.rows must list model names of stage '${evalStage.name}'`);
    distillation = {
      benchmark: String(d.benchmark ?? evalStage.name),
      rows: (d.rows as unknown[]).map((n) => {
        const m = models.find((x) => x.name === n);
        if (!m)
          throw new Error(
            `${file}: report.distillation.rows: no model '${String(n)}' in stage '${evalStage.name}' (has: ${models.map((x) => x.name).join(', ')})`,
          );
        return { model: m.name, accuracy: m.accuracy, meanLength: m.meanLength };
      }),
    };
  }
  return {
    title: `posttrain run ${basename(file)}`,
    createdAt: new Date().toISOString(),
    stages: stageSummaries(run),
    evaluations,
    distillation,
  };
}

export const RUN_SCHEMA = defineSchema({
  recipe: { type: 'string', default: null, required: true, doc: 'the recipe file (YAML): out, stages, report' },
  out: { type: 'string', default: null, nullable: true, doc: "the run folder (default: the recipe's out, else runs/<file name>)" },
});

/** Exit code 0 done, 3 paused at a gate (the annotation queue waiting for people). */
export const runCommand = command({
  summary:
    'the whole post-training recipe as stages of the kinds (pretrain, sft, rm, grpo, distill, gen-data, mix, annotate, eval): cached, resumable, report.html at the end',
  schema: RUN_SCHEMA,
  positional: 'recipe',
  run: async (c) => {
    refuseSeveralRanks('posttrain run');
    const file = c.recipe;
    const doc = readConfigFile(file) as RecipeFile;
    const out = c.out ?? (typeof doc.out === 'string' ? doc.out : join('runs', basename(file, extname(file))));
    const stages = recipeStages(doc, file);
    const run = await runStages(out, stages, stageKinds(), { log: (l) => process.stderr.write(`${l}\n`), source: file });
    if (run.waiting) {
      process.stderr.write(`\nrecipe paused at stage '${run.waiting.stage}': ${run.waiting.message}\n`);
      return 3;
    }
    const input = recipeReport(run, doc, file);
    const path = writeReport(out, input);
    process.stdout.write(`\n${terminalSummary(input)}\nreport: ${path}\n`);
    return 0;
  },
});
