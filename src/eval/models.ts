// The eval kind: the math harness over one model or several (model folders or OpenAI-compatible
// servers), as `posttrain eval` and a recipe's eval stage run it. Its config (EVAL_SCHEMA), the run
// (evaluateModels: per model the table of greedy accuracy, pass@1 over k samples, pass@k, maj@k and
// response lengths, per-item results in <output_dir>/<name>.items.jsonl, the summaries in
// <output_dir>/eval.json) and the table's text.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineSchema, resolveConfig, type ConfigOf } from '../common/schema.js';
import { loadModel, resolveDevice, DEVICE_FIELD } from '../models/index.js';
import { Tokenizer } from '../tokenizer/index.js';
import { openChatBackend, isUrl } from '../generation/chat_backend.js';
import { evaluateMath, evaluateMathWith, type MathEvalReport } from './evaluate.js';
import { loadProblems } from './problems.js';

export const EVAL_SCHEMA = defineSchema({
  model: {
    type: 'string',
    default: null,
    nullable: true,
    doc: "one model to evaluate, a folder or a server URL (shorthand for models: [{name: 'model', model}])",
  },
  models: {
    type: 'objects',
    default: [],
    doc: 'models to evaluate: [{name, model (folder or server URL), served_model?, tokenizer?, system?}]',
  },
  served_model: { type: 'string', default: null, nullable: true, doc: "the model's name at the server, when model is a URL" },
  tokenizer: {
    type: 'string',
    default: null,
    nullable: true,
    doc: "a tokenizer folder for a server model, to count response lengths in tokens (a folder model's own is used)",
  },
  system: { type: 'string', default: null, nullable: true, doc: "a system prompt for every model (a models entry's own wins)" },
  data: { type: 'string', default: null, required: true, doc: 'problem file (gsm8k / math / built-in JSONL)' },
  format: { type: 'string', default: 'auto', values: ['auto', 'gsm8k', 'math', 'builtin'], doc: 'problem file format' },
  k: { type: 'int', default: 0, min: 0, doc: 'samples per problem for pass@1 / pass@k / maj@k (0: greedy only)' },
  temperature: { type: 'number', default: 0.6, min: 0, doc: 'sampling temperature of the k samples' },
  top_p: { type: 'number', default: 0.95, min: 0.01, max: 1, doc: 'nucleus sampling of the k samples' },
  max_new_tokens: { type: 'int', default: 512, min: 1, doc: 'response length limit' },
  batch_size: { type: 'int', default: 32, min: 1, doc: 'rows per generation batch (local models)' },
  concurrency: { type: 'int', default: 8, min: 1, doc: 'requests in flight at once (server models)' },
  limit: { type: 'int', default: 0, min: 0, doc: 'problems at most (0: all)' },
  seed: { type: 'int', default: 0, min: 0, doc: 'sampling seed' },
  device: DEVICE_FIELD,
  output_dir: {
    type: 'string',
    default: 'eval_output',
    doc: 'folder for eval.json (a summary per model) and <name>.items.jsonl (per-item results)',
  },
});
export type EvalConfig = ConfigOf<typeof EVAL_SCHEMA>;

/** One entry of an eval config's models list (validated like every config: unknown keys refused with a suggestion). */
export const EVAL_MODEL_SCHEMA = defineSchema({
  name: { type: 'string', default: null, required: true, doc: "the model's name in eval.json and the report (letters, digits, - _ .)" },
  model: { type: 'string', default: null, required: true, doc: 'a model folder or an OpenAI-compatible server URL' },
  served_model: { type: 'string', default: null, nullable: true, doc: 'its name at the server, when model is a URL' },
  tokenizer: { type: 'string', default: null, nullable: true, doc: 'a tokenizer folder for a server model (response lengths)' },
  system: { type: 'string', default: null, nullable: true, doc: "its system prompt (default: the config's system)" },
});
export type EvalModelSpec = ConfigOf<typeof EVAL_MODEL_SCHEMA>;

/** A model's summary in eval.json. */
export interface ModelEvaluation {
  name: string;
  model: string;
  accuracy: number;
  pass1: number | null;
  majAtK: number | null;
  meanLength: number | null;
  n: number;
}

/** The models an eval config names: its models list, or its one model. Errors name `where` and the entry. */
export function evalModels(c: EvalConfig, where: string): EvalModelSpec[] {
  if (c.model !== null && c.models.length > 0) throw new Error(`${where}: give 'model' (one model) or 'models' (a list), not both`);
  const specs: Record<string, unknown>[] =
    c.model !== null ? [{ name: 'model', model: c.model, served_model: c.served_model, tokenizer: c.tokenizer }] : c.models;
  if (specs.length === 0) throw new Error(`${where}: name a model to evaluate: 'model' (a folder or server URL) or 'models'`);
  if (c.served_model !== null && c.model === null)
    throw new Error(`${where}: 'served_model' goes with 'model'; in a models list each entry has its own served_model`);
  const names = new Set<string>();
  return specs.map((raw, i) => {
    const at = `${where}: models[${i}]`;
    const m = resolveConfig(EVAL_MODEL_SCHEMA, raw, at);
    if (!/^[A-Za-z0-9_.-]+$/.test(m.name))
      throw new Error(`${at} needs a 'name' of letters, digits, '-', '_' or '.', got ${JSON.stringify(m.name)}`);
    if (names.has(m.name)) throw new Error(`${at}: the name '${m.name}' is used twice`);
    names.add(m.name);
    return m;
  });
}

/** A report as the table `posttrain eval` prints: one row per number. */
export function reportTable(r: MathEvalReport, k: number): string {
  const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);
  const rows: [string, string][] = [
    ['problems', String(r.n)],
    ['greedy accuracy', pct(r.greedyAccuracy)],
    ...(k > 0
      ? [
          [`pass@1 (mean of ${k} samples)`, pct(r.pass1)] as [string, string],
          ...Object.entries(r.passAtK)
            .filter(([n]) => n !== 'pass@1')
            .map(([n, v]) => [n, pct(v)] as [string, string]),
          [`maj@${k}`, pct(r.majAtK)] as [string, string],
        ]
      : []),
    ['mean response length (tokens)', r.meanLength === null ? '— (unknown: give a tokenizer)' : r.meanLength.toFixed(1)],
    ['median response length (tokens)', r.medianLength === null ? '—' : r.medianLength.toFixed(1)],
  ];
  const w = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `${a.padEnd(w)}  ${b}`).join('\n');
}

/** Evaluates each model on the problems; writes eval.json and <name>.items.jsonl into c.output_dir. */
export async function evaluateModels(
  c: EvalConfig,
  o: { where: string; log: (line: string) => void; onProgress?: (model: string, done: number, total: number) => void },
): Promise<ModelEvaluation[]> {
  const models = evalModels(c, o.where);
  const problems = await loadProblems(c.data, c.format, c.limit > 0 ? c.limit : Infinity);
  mkdirSync(c.output_dir, { recursive: true });
  const results: ModelEvaluation[] = [];
  for (const [i, m] of models.entries()) {
    const system = m.system ?? c.system;
    const opts = {
      k: c.k,
      temperature: c.temperature,
      topP: c.top_p,
      maxNewTokens: c.max_new_tokens,
      batchSize: c.batch_size,
      seed: c.seed,
      ...(system ? { system } : {}),
      onProgress: (done: number, total: number) => o.onProgress?.(m.name, done, total),
    };
    let r: MathEvalReport;
    if (isUrl(m.model)) {
      const tokenizerDir = m.tokenizer ?? c.tokenizer;
      const backend = openChatBackend({
        source: m.model,
        model: m.served_model ?? null,
        tokenizer: tokenizerDir ? Tokenizer.fromDir(tokenizerDir) : null,
        remote: { concurrency: c.concurrency },
        field: `${o.where} models[${i}]`,
      });
      try {
        r = await evaluateMathWith(backend, problems, opts);
      } finally {
        backend.dispose();
      }
    } else {
      const { model } = loadModel(m.model, { device: resolveDevice(c.device, `${o.where} field 'device'`) });
      try {
        r = evaluateMath(model, Tokenizer.fromDir(m.tokenizer ?? m.model), problems, opts);
      } finally {
        model.dispose();
      }
    }
    writeFileSync(join(c.output_dir, `${m.name}.items.jsonl`), r.items.map((it) => JSON.stringify(it)).join('\n') + '\n');
    o.log(`  ${m.name} (${m.model})\n${reportTable(r, c.k).replace(/^/gm, '    ')}`);
    results.push({
      name: m.name,
      model: m.model,
      accuracy: r.greedyAccuracy,
      pass1: r.pass1,
      majAtK: r.majAtK,
      meanLength: r.meanLength,
      n: r.n,
    });
  }
  writeFileSync(join(c.output_dir, 'eval.json'), JSON.stringify(results, null, 2) + '\n');
  return results;
}
