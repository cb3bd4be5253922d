// `posttrain eval (--model DIR | --url URL --served-model NAME [--tokenizer DIR] [--concurrency N])
//   --data FILE.jsonl [--format auto|gsm8k|math|builtin] [--k N] [--temperature T --top-p P
//   --max-new-tokens N --batch-size N --limit N --seed S --system TEXT] [--output results.jsonl]`:
// the math harness on a model folder or any OpenAI-compatible server (vLLM, SGLang, llama.cpp,
// `posttrain serve`; API key from $OPENAI_API_KEY) — greedy accuracy, pass@1 over k samples,
// pass@k, maj@k, response lengths — printed as a table, with per-item results in a file.
import { writeFileSync } from 'node:fs';
import { loadModel } from '../models/index.js';
import { Tokenizer } from '../tokenizer/index.js';
import { evaluateMath, evaluateMathWith, type MathEvalReport } from '../eval/evaluate.js';
import { openChatBackend } from '../generation/chat_backend.js';
import { loadProblems, type ProblemFormat } from '../eval/problems.js';
import { Progress } from '../common/run_folder.js';
import { Flags } from './flags.js';

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
    ['mean response length (tokens)', r.meanLength === null ? '— (unknown: pass --tokenizer)' : r.meanLength.toFixed(1)],
    ['median response length (tokens)', r.medianLength === null ? '—' : r.medianLength.toFixed(1)],
  ];
  const w = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `${a.padEnd(w)}  ${b}`).join('\n');
}

export async function evalCommand(args: string[]): Promise<void> {
  const f = new Flags(args);
  const url = f.optStr('url');
  const dir = url === undefined ? f.str('model') : null;
  const servedModel = url === undefined ? null : f.str('served-model');
  const tokenizerDir = f.optStr('tokenizer');
  const concurrency = f.int('concurrency', 8, 1);
  const data = f.str('data');
  const format = f.str('format', 'auto') as ProblemFormat;
  if (!['auto', 'gsm8k', 'math', 'builtin'].includes(format))
    throw new Error(`--format must be auto, gsm8k, math or builtin, got '${format}'`);
  const k = f.int('k', 0);
  const opts = {
    k,
    temperature: f.num('temperature', 0.6, (v) => v >= 0, 'a number >= 0'),
    topP: f.num('top-p', 0.95, (v) => v > 0 && v <= 1, 'in (0, 1]'),
    maxNewTokens: f.int('max-new-tokens', 256, 1),
    batchSize: f.int('batch-size', 32, 1),
    seed: f.int('seed', 0),
    system: f.optStr('system'),
  };
  const limit = f.int('limit', 0);
  const output = f.optStr('output');
  f.rejectUnknown('eval');
  const problems = await loadProblems(data, format, limit > 0 ? limit : Infinity);
  const progress = new Progress('eval', problems.length * (1 + k));
  const onProgress = (done: number) => progress.update(done, {});
  const show = (r: MathEvalReport) => {
    if (output) writeFileSync(output, r.items.map((it) => JSON.stringify(it)).join('\n') + '\n');
    process.stdout.write(`\n${reportTable(r, k)}\n${output ? `per-item results: ${output}\n` : ''}`);
  };
  if (url !== undefined) {
    const backend = openChatBackend({
      source: url,
      model: servedModel,
      tokenizer: tokenizerDir ? Tokenizer.fromDir(tokenizerDir) : null,
      remote: { concurrency },
      field: '--url',
    });
    show(await evaluateMathWith(backend, problems, { ...opts, onProgress }));
    return;
  }
  const tokenizer = Tokenizer.fromDir(tokenizerDir ?? dir!);
  const { model } = loadModel(dir!);
  try {
    const r = evaluateMath(model, tokenizer, problems, { ...opts, onProgress });
    show(r);
  } finally {
    model.dispose();
  }
}
