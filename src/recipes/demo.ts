// `posttrain demo`: DeepSeek-V3's post-training recipe on the built-in reasoning domain (chains of
// operations modulo 7, src/data/builtin/modchain.ts), as stages of the same runner `posttrain run`
// uses (src/recipes/stages.ts: cached, resumable), in V3's order:
//   data → tokenizer → pretrain (the shared base: the arithmetic facts, general text)
//   → expert-sft (long-CoT answers under the reflection/verification system prompt) → expert-rl (GRPO):
//     the long-CoT teacher, V3's "R1"-based expert
//   → reasoning-data (gen-data: the teacher with its system prompt, rejection sampling by the exact
//     verifier; each problem's original short-CoT answer kept beside it)
//   → non-reasoning-data (the annotation gate; the built-in grader annotates automatically, marked 'auto')
//   → V3 Table 9 as SFT runs of the student from the same base: sft-baseline (the original short-CoT
//     answers), sft (the teacher's samples: the distilled student), sft-mixed (half of each: a length control,
//     V3 §5.1's SFT data of both sample types)
//   → rm and judge (trained from the distilled SFT checkpoint) → reward-eval (both on the same held-out
//     responses with and without planted errors)
//   → grpo (on sft-mixed, the exact verifier's reward: as in V3 §5.1, RL sampling at high temperature
//     learns to use the teacher's long reasoning without a system prompt; the distilled model is right on
//     ~99.6% of its T = 1 samples and leaves RL nothing to win)
//   → eval (every model; pass@1 at T = 1 for GRPO's start and result) → report.html and the summary.
// Every accuracy is printed with its standard error over the n held-out problems.
import { join } from 'node:path';
import { REFLECTION_SYSTEM_PROMPT } from '../data/builtin/index.js';
import { runStages, stageSummaries, type RunReport, type StageSpec } from './stages.js';
import { stageKinds } from './stage_kinds.js';
import { dataStage, demoProblems, tokenizerStage, type DemoData, type DemoProblems } from './demo_data.js';
import { demoEvalStage, graderAnnotator, rewardEvalStage, type ModelReport, type RewardEval } from './demo_stages.js';
import { readJson } from '../common/files.js';
import { smallLlamaConfig } from '../models/index.js';
import { writeReport, terminalSummary, formatAccuracy, type ReportInput } from '../report/report.js';

export interface DemoOptions {
  out: string;
  seed: number;
  /** A small, fast configuration for tests (minutes → seconds); accuracy is not meaningful there. */
  quick: boolean;
  log: (line: string) => void;
}

interface Sizes {
  /** What the data stage draws (with the run's seed). */
  data: Omit<DemoData, 'seed'>;
  hidden: number;
  layers: number;
  intermediate: number;
  batch: number;
  seqLen: number;
  studentSeqLen: number;
  pretrainSteps: number;
  expertEpochs: number;
  studentEpochs: number;
  expertRlSteps: number;
  genSamples: number;
  grpoSteps: number;
  grpoPrompts: number;
  grpoGroup: number;
  judgeEpochs: number;
  rewardEval: number;
  evalSamples: number;
  maxTokens: number;
  /** Rejection sampling as in V3 (true); the miniature keeps every sample so that later stages have data. */
  strictGeneration: boolean;
}

/** The measured configuration (README: calibration). */
const FULL: Sizes = {
  data: {
    modulus: 7,
    steps: 6,
    heldOut: 400,
    pretrainFacts: 30000,
    pretrainWorked: 0,
    pretrainGeneral: 0,
    expertProblems: 2400,
    rlProblems: 2400,
    rmProblems: 1000,
    judgeProblems: 600,
    instructions: 50,
    expertInstructions: 0,
    generalistPrompts: 50,
    heldOutInstructions: 50,
    vocab: 512,
  },
  hidden: 128,
  layers: 3,
  intermediate: 384,
  batch: 4,
  seqLen: 320,
  studentSeqLen: 256,
  pretrainSteps: 800,
  expertEpochs: 2,
  studentEpochs: 2,
  expertRlSteps: 3,
  genSamples: 1,
  grpoSteps: 30,
  grpoPrompts: 8,
  grpoGroup: 8,
  judgeEpochs: 2,
  rewardEval: 200,
  evalSamples: 4,
  maxTokens: 120,
  strictGeneration: true,
};
const QUICK: Sizes = {
  data: {
    modulus: 7,
    steps: 3,
    heldOut: 16,
    pretrainFacts: 300,
    pretrainWorked: 20,
    pretrainGeneral: 50,
    expertProblems: 40,
    rlProblems: 24,
    rmProblems: 16,
    judgeProblems: 12,
    instructions: 20,
    expertInstructions: 6,
    generalistPrompts: 8,
    heldOutInstructions: 8,
    vocab: 400,
  },
  hidden: 32,
  layers: 2,
  intermediate: 64,
  batch: 4,
  seqLen: 320,
  studentSeqLen: 192,
  pretrainSteps: 12,
  expertEpochs: 1,
  studentEpochs: 1,
  expertRlSteps: 1,
  genSamples: 2,
  grpoSteps: 2,
  grpoPrompts: 2,
  grpoGroup: 4,
  judgeEpochs: 1,
  rewardEval: 4,
  evalSamples: 2,
  maxTokens: 64,
  strictGeneration: false,
};

/** The demo's stages: the whole recipe, with the sizes of `s`. */
export function demoStages(s: Sizes, d: DemoData): StageSpec[] {
  const seed = d.seed;
  const data = (f: string) => `\${data}/${f}`;
  // every SFT run: small batches (the arithmetic and the step-by-step lookups are learned in
  // optimizer steps, not tokens — README: calibration), warmup then cosine decay; a row longer than
  // max_length is dropped and counted, never cut (a long CoT without its answer or a judgement without its
  // score teaches the wrong thing; measured: judge rows cut at 384 made a judge that wrote garbage)
  const sft = {
    tokenizer: '${tokenizer}',
    max_length: s.seqLen,
    per_device_train_batch_size: s.batch,
    learning_rate: 2e-3,
    min_lr: 2e-4,
    warmup_ratio: 0.03,
    save_steps: 0,
    truncation: 'drop',
    seed,
  };
  const nonReasoning = ['${non-reasoning-data}', data('instructions_sft.jsonl')];
  const grpo = {
    num_generations: s.grpoGroup,
    prompts_per_step: s.grpoPrompts,
    max_completion_length: s.maxTokens,
    temperature: 1,
    beta: 0.04,
    loss_type: 'dapo',
    epsilon_high: 0.28,
    reward_funcs: ['math'],
    dynamic_sampling_rounds: 2,
    log_samples_every: 5,
    seed,
  };
  const student = (name: string, dataStage: string) => ({
    name,
    kind: 'sft',
    config: {
      ...sft,
      model_name_or_path: '${pretrain}',
      dataset_name: [`\${${dataStage}}`],
      max_length: s.studentSeqLen,
      num_train_epochs: s.studentEpochs,
    },
  });
  const mix = (name: string, teacher: number, original: number) => ({
    name,
    kind: 'mix',
    config: { data: '${reasoning-data}', teacher_share: teacher, original_share: original, drop_system: true, extra: nonReasoning, seed },
  });
  return [
    // the data stage's config is what it draws, so a change of sizes regenerates it (and what follows)
    { name: 'data', kind: 'builtin-data', config: { ...d } },
    { name: 'tokenizer', kind: 'builtin-tokenizer', config: { data: '${data}', vocab: d.vocab } },
    // the base: the arithmetic facts (runs of one operation) and general text; teacher and students share it
    {
      name: 'pretrain',
      kind: 'pretrain',
      config: {
        model_config: smallLlamaConfig({ vocab: d.vocab, hidden: s.hidden, intermediate: s.intermediate, layers: s.layers }),
        tokenizer: '${tokenizer}',
        dataset_name: [data('pretrain.jsonl')],
        max_length: 256,
        per_device_train_batch_size: s.batch,
        max_steps: s.pretrainSteps,
        learning_rate: 2e-3,
        min_lr: 2e-4,
        warmup_ratio: 0.05,
        weight_decay: 0.1,
        save_steps: Math.max(10, Math.round(s.pretrainSteps / 4)),
        seed,
      },
    },
    // the expert: long-CoT SFT under the reflection/verification prompt, then GRPO (V3 §5.1: SFT + RL, then the data generator)
    {
      name: 'expert-sft',
      kind: 'sft',
      config: { ...sft, model_name_or_path: '${pretrain}', dataset_name: [data('expert_sft.jsonl')], num_train_epochs: s.expertEpochs },
    },
    {
      name: 'expert-rl',
      kind: 'grpo',
      config: {
        ...grpo,
        model_name_or_path: '${expert-sft}',
        dataset_name: [data('rl_math.jsonl')],
        system_prompt: REFLECTION_SYSTEM_PROMPT,
        learning_rate: 2e-5,
        max_steps: s.expertRlSteps,
      },
    },
    // reasoning data: the teacher under its system prompt, rejection-sampled by the exact verifier (one sample
    // per problem: the expert is right on nearly all, and a second cost 40 s of the 15 minutes; with more,
    // the shortest correct is kept); the original short-CoT answer beside each. The pools are disjoint from the held-out
    // problems by key; the n-gram check drops only a copied question (share 1: every question shares the
    // template, and its words leave out the operators — at 0.5 it flagged 1,792 of 2,400 problems)
    {
      name: 'reasoning-data',
      kind: 'gen-data',
      config: {
        teacher: '${expert-rl}',
        prompts: [data('rl_math.jsonl')],
        system_prompt: REFLECTION_SYSTEM_PROMPT,
        samples_per_prompt: s.genSamples,
        temperature: 0.6,
        top_p: 0.95,
        max_tokens: s.maxTokens,
        prompts_per_batch: 64,
        batch_size: 128,
        verifier: s.strictGeneration ? 'math' : 'none',
        keep: 'shortest',
        require_think: s.strictGeneration,
        require_boxed: s.strictGeneration,
        drop_truncated: s.strictGeneration,
        original_column: 'solution',
        decontaminate: [data('heldout_math.jsonl')],
        ngram: 8,
        contamination_threshold: 1,
        seed,
      },
    },
    // non-reasoning data: the expert as generalist, through the annotation gate
    {
      name: 'non-reasoning-data',
      kind: 'annotate',
      config: {
        generalist: '${expert-rl}',
        prompts: data('generalist_prompts.jsonl'),
        max_tokens: 32,
        temperature: 0.3,
        seed,
        auto: 'grader',
      },
    },
    // V3 Table 9: the student from the same base, on the original short-CoT answers vs the teacher's samples
    mix('data-baseline', 0, 1),
    mix('data-distilled', 1, 0),
    mix('data-mixed', 0.5, 0.5),
    student('sft-baseline', 'data-baseline'),
    student('sft', 'data-distilled'),
    student('sft-mixed', 'data-mixed'),
    // model-based rewards, trained from the SFT checkpoint (V3 §5.2); the judge's rows: chain_judgements.ts
    {
      name: 'rm',
      kind: 'rm',
      config: {
        model_name_or_path: '${sft}',
        dataset_name: [data('preferences.jsonl')],
        eval_fraction: 0.1,
        per_device_train_batch_size: 8,
        num_train_epochs: 1,
        learning_rate: 1e-4,
        max_length: s.seqLen,
        seed,
      },
    },
    {
      name: 'judge',
      kind: 'sft',
      config: {
        ...sft,
        model_name_or_path: '${sft}',
        dataset_name: [data('judge_sft.jsonl')],
        max_length: 384,
        num_train_epochs: s.judgeEpochs,
        learning_rate: 1e-3,
        min_lr: 1e-4,
      },
    },
    { name: 'reward-eval', kind: 'reward-eval', config: { judge: '${judge}', rm: '${rm}' } },
    // GRPO after SFT (V3 §5.1): on the SFT model trained on both sample types (the teacher's long CoT and the
    // original short answer), which answers short when greedy and long in some of its T = 1 samples; the
    // rule-based reward (the exact verifier) teaches it that the long reasoning pays
    {
      name: 'grpo',
      kind: 'grpo',
      config: {
        ...grpo,
        model_name_or_path: '${sft-mixed}',
        dataset_name: [data('rl_math.jsonl')],
        learning_rate: 2e-4,
        warmup_steps: Math.min(3, s.grpoSteps - 1),
        max_steps: s.grpoSteps,
      },
    },
    {
      name: 'eval',
      kind: 'demo-eval',
      config: {
        models: [
          { name: 'base', model: '${pretrain}' },
          { name: 'teacher', model: '${expert-rl}', system: REFLECTION_SYSTEM_PROMPT },
          { name: 'baseline', model: '${sft-baseline}' },
          { name: 'distilled', model: '${sft}' },
          { name: 'mixed', model: '${sft-mixed}', k: s.evalSamples },
          { name: 'grpo', model: '${grpo}', k: s.evalSamples },
        ],
      },
    },
  ];
}

export interface DemoSummary {
  models: ModelReport[];
  rewards: RewardEval;
  stages: { name: string; kind: string; seconds: number; cached: boolean; metrics: Record<string, unknown> }[];
  /** report.html's path, and what it shows (the terminal summary prints the same tables). */
  report: string;
  reportInput: ReportInput;
  params: number;
}

export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  const s = o.quick ? QUICK : FULL;
  const d: DemoData = { seed: o.seed, ...s.data };
  let problems: DemoProblems | null = null;
  const getProblems = () => (problems ??= demoProblems(d));
  const kinds = {
    ...stageKinds({ autoAnnotator: graderAnnotator(getProblems) }),
    'builtin-data': dataStage(d, getProblems),
    'builtin-tokenizer': tokenizerStage(d, getProblems),
    'reward-eval': rewardEvalStage(getProblems, { count: s.rewardEval, seed: o.seed, maxTokens: 10 * d.steps + 40 }),
    'demo-eval': demoEvalStage(getProblems, { maxNewTokens: s.maxTokens, seed: o.seed }),
  };
  const run = await runStages(o.out, demoStages(s, d), kinds, { log: o.log, source: 'demo' });
  if (run.waiting) throw new Error(`demo: stage ${run.waiting.stage} is waiting: ${run.waiting.message}`);
  const models = readJson(stageOutput(run, 'eval'), 'the evaluation') as ModelReport[];
  const rewards = readJson(stageOutput(run, 'reward-eval'), 'the reward evaluation') as RewardEval;
  const input = reportInput(run, models, rewards, { teacherSamples: s.genSamples });
  const report = writeReport(o.out, input);
  const params = approxParams(
    readJson(join(stageOutput(run, 'pretrain'), 'config.json'), "the base model's config") as Record<string, number>,
  );
  return {
    models,
    rewards,
    stages: run.stages.map((x) => ({ name: x.name, kind: x.kind, seconds: x.seconds, cached: x.cached, metrics: x.metrics })),
    report,
    reportInput: input,
    params,
  };
}

function stageOutput(run: RunReport, name: string): string {
  const st = run.stages.find((x) => x.name === name);
  if (!st) throw new Error(`demo: no stage '${name}' in the run`);
  return st.output;
}

/** Parameters of the demo's Llama from its config (tied embeddings). */
function approxParams(c: Record<string, number>): number {
  const h = c['hidden_size']!,
    v = c['vocab_size']!,
    l = c['num_hidden_layers']!,
    i = c['intermediate_size']!;
  const kv = (h / c['num_attention_heads']!) * c['num_key_value_heads']!;
  return v * h + l * (2 * h * h + 2 * h * kv + 3 * h * i + 2 * h) + h;
}

const STAGE_OF: Record<string, string> = {
  base: 'pretrain',
  teacher: 'expert-rl',
  baseline: 'sft-baseline',
  distilled: 'sft',
  mixed: 'sft-mixed',
  grpo: 'grpo',
};

export function reportInput(
  run: RunReport,
  models: readonly ModelReport[],
  rewards: RewardEval,
  o: { teacherSamples: number },
): ReportInput {
  const by = (n: string) => models.find((m) => m.name === n);
  const row = (n: string, label: string) => ({
    model: label,
    accuracy: by(n)?.math.accuracy ?? null,
    meanLength: by(n)?.math.meanLength ?? null,
    n: by(n)?.math.n ?? null,
  });
  const gen = run.stages.find((x) => x.name === 'reasoning-data')?.metrics as Record<string, unknown> | undefined;
  const kept = (gen?.['outcomes'] as Record<string, number> | undefined)?.['kept'] ?? 0;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const j = rewards.judge,
    rm = rewards.rm;
  const start = by('mixed')?.math,
    end = by('grpo')?.math;
  const rl = run.stages.find((x) => x.name === 'grpo')?.metrics as Record<string, number> | undefined;
  const grpoNote =
    start && end && start.pass1 !== null && end.pass1 !== null
      ? [
          `GRPO on the length-controlled SFT model (half teacher, half short; V3 §5.1): greedy ${formatAccuracy(start.accuracy, start.n)} → ${formatAccuracy(end.accuracy, end.n)}, ` +
            `pass@1 (T=1, ${end.k} samples) ${formatAccuracy(start.pass1, start.n * start.k)} → ${formatAccuracy(end.pass1, end.n * end.k)}, mean length ${start.meanLength?.toFixed(1) ?? '—'} → ${end.meanLength?.toFixed(1) ?? '—'}; ` +
            `training reward ${rl?.['reward_first5']?.toFixed(2) ?? '—'} (first 5 rounds) → ${rl?.['reward_last5']?.toFixed(2) ?? '—'} (last 5 of ${rl?.['steps'] ?? '—'})` +
            (end.pass1 > start.pass1 && (end.meanLength ?? 0) > (start.meanLength ?? 0)
              ? ": RL learned to use the teacher's long reasoning without a system prompt"
              : ''),
        ]
      : [];
  return {
    title: 'posttrain demo — DeepSeek-V3 post-training on the built-in task',
    createdAt: new Date().toISOString(),
    stages: stageSummaries(run),
    evaluations: models.map((m) => ({
      model: m.name,
      stage: STAGE_OF[m.name] ?? m.name,
      accuracy: m.math.accuracy,
      meanLength: m.math.meanLength,
      n: m.math.n,
      extra: {
        ...(m.math.pass1 !== null ? { 'pass@1 (T=1)': formatAccuracy(m.math.pass1, m.math.n * m.math.k) } : {}),
        instructions: formatAccuracy(m.instructions.accuracy, m.instructions.n),
        'system prompt': m.system ? 'reflection' : 'none',
      },
    })),
    distillation: {
      benchmark: `held-out chains mod 7 (${by('baseline')?.math.n ?? 0} problems, greedy)`,
      rows: [
        row('baseline', 'student on short-CoT data (baseline)'),
        row('distilled', '+ long-CoT distillation (teacher samples)'),
        row('mixed', '+ half teacher, half short (length control; GRPO starts here)'),
        row('teacher', 'teacher (expert, with the system prompt)'),
      ],
      settings: {
        'teacher samples':
          o.teacherSamples > 1 ? `${o.teacherSamples} per problem, shortest correct kept` : 'one per problem, kept when correct',
        'problems kept': `${kept} of ${gen?.['problems'] ?? 0}`,
        'teacher sample accuracy': typeof gen?.['teacherAccuracy'] === 'number' ? pct(gen['teacherAccuracy'] as number) : '—',
        start: 'the same base for every student',
      },
    },
    samples: models.flatMap((m) =>
      m.samples.slice(0, 2).map((x) => ({ stage: m.name, prompt: x.question, response: x.completion, correct: x.correct })),
    ),
    notes: [
      `generative judge (re-derives every step, then a score) on ${j.n} held-out responses, half with a planted error: balanced accuracy ${formatAccuracy(j.balanced, j.n)}, ` +
        `${j.unparseable} unparseable; right over planted in ${pct(j.pairAccuracy)} of ${rm.pairs} pairs`,
      `scalar reward model on the same responses: right over planted in ${formatAccuracy(rm.pairAccuracy, rm.pairs)} of ${rm.pairs} pairs (mean margin ${rm.meanMargin.toFixed(2)})`,
      ...grpoNote,
      'the non-reasoning data passed the annotation gate with the automatic annotator (the built-in grader), marked annotator: auto',
    ],
  };
}

/** The terminal summary: the report's tables (evaluations, the distillation table, stages). */
export function summaryText(s: DemoSummary): string {
  return terminalSummary(s.reportInput);
}
