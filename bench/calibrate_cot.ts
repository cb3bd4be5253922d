// Calibration of the built-in reasoning domain: how accurate a model of a given size gets, in how many
// CPU-minutes, answering in each style — direct, short CoT, long CoT (src/data/builtin/modchain.ts;
// `--domain=expr` for the expression form of modexpr.ts, measured first). One run = one configuration:
// held-out problems drawn first, training problems disjoint from them by key, the demo's tokenizer
// pattern (digits single, an operator bound to its operand), an optional shared base (pretraining on
// runs of one operation: the arithmetic facts; cached per configuration), SFT in the chosen style,
// then greedy accuracy on the held-out set. Prints one JSON line per run (`--append=FILE` keeps them).
//   node dist/bench/calibrate_cot.js --style=long --steps=6 --modulus=7 --hidden=128 --layers=3 \
//        --problems=3000 --epochs=1 --batch=4 --lr=2e-3 --base_steps=800
//   node dist/bench/calibrate_cot.js --sweep          the README's sweep, one configuration after another
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/common/rng.js';
import { builtinTask } from '../src/data/builtin/index.js';
import * as expr from '../src/data/builtin/modexpr.js';
import * as chain from '../src/data/builtin/modchain.js';
import { factsDocument } from '../src/data/builtin/modchain.js';
import { Tokenizer, trainByteLevelBpe, makeTokenizerConfig, CHATML_SPECIAL_TOKENS, STEP_SPLIT_PATTERN } from '../src/tokenizer/index.js';
import { trainSft } from '../src/trainers/sft.js';
import { SFT_SCHEMA, type SftConfig } from '../src/trainers/sft_config.js';
import { loadModel, smallLlamaConfig } from '../src/models/index.js';
import { evaluateMath } from '../src/eval/evaluate.js';
import { standardError } from '../src/report/report.js';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`calibrate: bad flag ${a}`);
    return [m[1]!, m[2] ?? 'true'];
  }),
);
const out = args['out'] ?? '/tmp/posttrain-calibration';
mkdirSync(out, { recursive: true });

/** The README's sweep: the teacher's long CoT against the students' short CoT and direct answers, from the base and from scratch. */
const SWEEP: Record<string, string>[] = [
  { style: 'long', problems: '3000', epochs: '1', base_steps: '800' },
  { style: 'long', problems: '1600', epochs: '1', base_steps: '800' },
  { style: 'long', problems: '3000', epochs: '1', base_steps: '800', layers: '2' },
  { style: 'long', problems: '3000', epochs: '1', base_steps: '0' },
  { style: 'short', problems: '3000', epochs: '3', base_steps: '800' },
  { style: 'direct', problems: '3000', epochs: '3', base_steps: '800' },
];

if (args['sweep']) {
  const self = fileURLToPath(import.meta.url);
  for (const c of SWEEP) {
    const flags = Object.entries({ ...c, out, append: args['append'] ?? join(out, 'sweep.jsonl') }).map(([k, v]) => `--${k}=${v}`);
    process.stdout.write(execFileSync(process.execPath, [self, ...flags], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  }
  process.exit(0);
}

const num = (k: string, d: number) => (k in args ? Number(args[k]) : d);
const style = (args['style'] ?? 'long') as chain.AnswerStyle;
const domain = args['domain'] ?? 'chain';
const p = num('modulus', 7),
  K = num('steps', 6),
  hidden = num('hidden', 128),
  layers = num('layers', 3),
  seed = num('seed', 0);
const nProblems = num('problems', 3000),
  epochs = num('epochs', 1),
  heldOut = num('heldout', 400);
const lr = num('lr', 2e-3),
  batch = num('batch', 4),
  seqLen = num('seq_len', 256),
  baseSteps = num('base_steps', 800);
/** The base's corpus: facts (runs of one operation) or facts+worked (half of the documents a worked solution as plain text). */
const baseDocs = args['base_docs'] ?? 'facts';
/** General text documents of the built-in task (stories, definitions) added to the base's corpus. */
const baseGeneral = num('base_general', 0);
const tag = `${domain}-${style}-p${p}-k${K}-h${hidden}-l${layers}-n${nProblems}-e${epochs}-base${baseSteps}${baseDocs}${baseGeneral ? `+${baseGeneral}g` : ''}-lr${lr}-b${batch}-s${seed}`;

// ---- problems: held-out first, training disjoint by key
interface Problem {
  question: string;
  answer: number;
  key: string;
}
const drawProblem = (rng: Rng): Problem =>
  domain === 'expr' ? expr.drawProblem(rng, { modulus: p, operators: K }) : chain.drawChain(rng, { modulus: p, steps: K });
const answerIn = (q: Problem, s: chain.AnswerStyle): string =>
  domain === 'expr' ? expr.answerIn(q as expr.ExprProblem, s) : chain.answerIn(q as chain.ChainProblem, s);
const heldKeys = new Set<string>();
const held: Problem[] = [];
const hr = new Rng(seed).fork('heldout');
while (held.length < heldOut) {
  const q = drawProblem(hr);
  if (!heldKeys.has(q.key)) {
    heldKeys.add(q.key);
    held.push(q);
  }
}
const trainRng = new Rng(seed).fork('train');
const draw = (n: number): Problem[] => {
  const xs: Problem[] = [];
  while (xs.length < n) {
    const q = drawProblem(trainRng);
    if (!heldKeys.has(q.key)) xs.push(q);
  }
  return xs;
};
const train = draw(nProblems);

// ---- tokenizer (cached per domain and modulus)
const tokDir = join(out, `tokenizer-${domain}-p${p}-k${K}`);
if (!existsSync(join(tokDir, 'tokenizer.json'))) {
  const fr = new Rng(seed).fork('tokenizer');
  const corpus = [
    ...draw(2000).flatMap((q) => [q.question, answerIn(q, 'long'), answerIn(q, 'short')]),
    ...Array.from({ length: 200 }, () => factsDocument(fr, p)),
  ];
  Tokenizer.fromFiles(
    trainByteLevelBpe(corpus, { vocabSize: 400, specialTokens: CHATML_SPECIAL_TOKENS, preTokenizerPattern: STEP_SPLIT_PATTERN }),
    makeTokenizerConfig({ eos: '<|im_end|>', pad: '<|endoftext|>' }),
  ).save(tokDir);
}
const tokenizer = Tokenizer.fromDir(tokDir);

const defaults = Object.fromEntries(Object.entries(SFT_SCHEMA).map(([k, s]) => [k, s.default])) as unknown as SftConfig;
const modelConfig = smallLlamaConfig({ vocab: tokenizer.vocabSize, hidden, intermediate: hidden * 3, layers });

// ---- the shared base: pretraining on runs of one operation (the arithmetic facts), cached
let baseSeconds = 0;
const baseDir = join(
  out,
  `base-p${p}-k${K}-h${hidden}-l${layers}-${baseSteps}${baseDocs}${baseGeneral ? `+${baseGeneral}g` : ''}-lr${lr}-b${batch}-s${seed}`,
);
if (baseSteps > 0 && !existsSync(join(baseDir, 'final', 'model.safetensors'))) {
  const fr = new Rng(seed).fork('facts');
  const file = join(out, `base-${baseDocs}-p${p}-k${K}.jsonl`);
  const worked = baseDocs === 'facts+worked' ? draw(15000).map((q) => chain.workedDocument(q as chain.ChainProblem)) : [];
  const general =
    baseGeneral > 0
      ? builtinTask({ seed, pretrainDocuments: baseGeneral, sftConversations: 0, heldOutMath: 0, heldOutInstructions: 0 }).pretrainDocuments
      : [];
  const docs = [...Array.from({ length: 30000 - worked.length }, () => factsDocument(fr, p)), ...worked, ...general];
  fr.shuffle(docs);
  writeFileSync(file, docs.map((text) => JSON.stringify({ text }) + '\n').join(''));
  const t = performance.now();
  await trainSft(
    {
      ...defaults,
      model_config: modelConfig,
      tokenizer: tokDir,
      dataset_name: [file],
      output_dir: baseDir,
      max_length: seqLen,
      per_device_train_batch_size: batch,
      max_steps: baseSteps,
      completion_only_loss: false,
      learning_rate: lr,
      min_lr: lr / 10,
      warmup_ratio: 0.05,
      weight_decay: 0.1,
      save_steps: 0,
      seed,
      resume_from_checkpoint: false,
    },
    { quiet: true },
  );
  baseSeconds = (performance.now() - t) / 1000;
}

// ---- SFT in the chosen style, then greedy accuracy on the held-out set
const file = join(out, `sft-${tag}.jsonl`);
writeFileSync(
  file,
  train
    .map(
      (q) =>
        JSON.stringify({
          messages: [
            { role: 'user', content: q.question },
            { role: 'assistant', content: answerIn(q, style) },
          ],
        }) + '\n',
    )
    .join(''),
);
const r = await trainSft(
  {
    ...defaults,
    ...(baseSteps > 0 ? { model_name_or_path: join(baseDir, 'final') } : { model_config: modelConfig }),
    tokenizer: tokDir,
    dataset_name: [file],
    output_dir: join(out, `run-${tag}`),
    max_length: seqLen,
    per_device_train_batch_size: batch,
    num_train_epochs: epochs,
    learning_rate: lr,
    min_lr: lr / 10,
    warmup_ratio: 0.03,
    weight_decay: 0.1,
    save_steps: 0,
    seed,
    resume_from_checkpoint: false,
  },
  { quiet: true },
);
const { model } = loadModel(r.finalDir);
const t = performance.now();
const ev = evaluateMath(
  model,
  tokenizer,
  held.map((q) => ({ question: q.question, answer: String(q.answer) })),
  { k: 0, temperature: 0, topP: 1, maxNewTokens: style === 'long' ? 160 : 48, batchSize: 64, seed },
);
const acc = ev.greedyAccuracy;
const line = {
  tag,
  domain,
  style,
  modulus: p,
  steps: K,
  hidden,
  layers,
  params: model.numParameters(),
  problems: nProblems,
  epochs,
  baseSteps,
  baseSeconds: baseSeconds > 0 ? +baseSeconds.toFixed(1) : null,
  sftSteps: r.steps,
  sftSeconds: +r.seconds.toFixed(1),
  evalSeconds: +((performance.now() - t) / 1000).toFixed(1),
  finalLoss: +r.finalLoss.toFixed(4),
  accuracy: acc,
  standardError: +standardError(acc, ev.n)!.toFixed(4),
  n: ev.n,
  meanLength: ev.meanLength,
  sample: ev.items[0]?.completion,
};
console.log(JSON.stringify(line));
if (args['append']) appendFileSync(args['append'], JSON.stringify(line) + '\n');
model.dispose();
