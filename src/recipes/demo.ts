// `posttrain demo`: DeepSeek-V3's post-training recipe on the built-in task, as stages of the same
// runner `posttrain run` uses (src/recipes/stages.ts: cached, resumable):
//   data → tokenizer → pretrain (the base, from scratch) → sft-warm (short-CoT SFT, shared start)
//   → expert-sft (long-CoT answers under the reflection/verification system prompt, + instructions)
//   → expert-rl (GRPO on the expert: the long-CoT teacher, V3's "R1")
//   → reasoning-data (gen-data: the teacher with the system prompt, rejection sampling, both sample types)
//   → non-reasoning-data (the annotation gate: the expert as generalist; the demo's automatic
//     annotator accepts what the built-in grader finds right — marked 'auto')
//   → sft-data (mix: original short answers + built-in conversations + accepted non-reasoning data)
//   → sft (the student, from sft-warm) → rm, judge (from the SFT model) → grpo (routed rewards)
//   → distill-data (mix: the teacher's samples) → distill (sequence-level + token-level KD from the teacher)
//   → eval (every model on held-out math and instructions) → report.html and the summary.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { REFLECTION_SYSTEM_PROMPT, type BuiltinTask } from '../data/builtin/index.js';
import { BUILTIN_REWARDS } from '../trainers/grpo.js';
import type { RewardInput } from '../rewards/compose.js';
import { runStages, stageSummaries, type RunReport, type StageSpec } from './stages.js';
import { stageKinds } from './stage_kinds.js';
import { dataStage, demoEvalStage, demoTask, graderAnnotator, judgeEvalStage, tokenizerStage, type DemoData, type JudgeStats, type ModelReport } from './demo_stages.js';
import { writeReport, terminalSummary, type ReportInput } from '../report/report.js';

export interface DemoOptions {
  out: string;
  seed: number;
  /** A small, fast configuration for tests (minutes → seconds); accuracy is not meaningful there. */
  quick: boolean;
  log: (line: string) => void;
}

interface Sizes extends Omit<DemoData, 'seed'> {
  hidden: number; layers: number; intermediate: number; seqLen: number; expertSeqLen: number; batch: number;
  pretrainSteps: number; expertEpochs: number; sftEpochs: number; expertRlSteps: number; genProblems: number; genSamples: number;
  grpoSteps: number; grpoPrompts: number; grpoGroup: number; grpoTokens: number; distillEpochs: number; judgeEval: number;
  shortTokens: number; longTokens: number; evalSamples: number;
  /** Rejection sampling as in V3 (true); the miniature keeps every sample so later stages have data. */
  strictGeneration: boolean;
}

const FULL: Sizes = {
  pretrainDocuments: 30000, sftConversations: 3000, heldOutMath: 400, heldOutInstructions: 50, rlMath: 3200,
  expertMath: 1600, expertInstructions: 100, rmMath: 500, rmInstructions: 200, judgeMath: 60, judgeInstructions: 60, rlInstructions: 100, generalistPrompts: 150, vocab: 1024,
  hidden: 128, layers: 4, intermediate: 384, seqLen: 256, expertSeqLen: 384, batch: 8,
  pretrainSteps: 200, expertEpochs: 3, sftEpochs: 8, expertRlSteps: 3, genProblems: 1600, genSamples: 4,
  grpoSteps: 10, grpoPrompts: 8, grpoGroup: 8, grpoTokens: 80, distillEpochs: 3, judgeEval: 50,
  shortTokens: 96, longTokens: 160, evalSamples: 0, strictGeneration: true, decompose: false,
};
const QUICK: Sizes = {
  pretrainDocuments: 600, sftConversations: 120, heldOutMath: 16, heldOutInstructions: 8, rlMath: 48,
  expertMath: 40, expertInstructions: 10, rmMath: 12, rmInstructions: 8, judgeMath: 6, judgeInstructions: 6, rlInstructions: 8, generalistPrompts: 8, vocab: 400,
  hidden: 32, layers: 2, intermediate: 64, seqLen: 128, expertSeqLen: 192, batch: 4,
  pretrainSteps: 12, expertEpochs: 1, sftEpochs: 1, expertRlSteps: 1, genProblems: 8, genSamples: 2,
  grpoSteps: 2, grpoPrompts: 2, grpoGroup: 4, grpoTokens: 24, distillEpochs: 1, judgeEval: 4,
  shortTokens: 24, longTokens: 48, evalSamples: 2, strictGeneration: false, decompose: false,
};

function modelConfig(s: Sizes, vocab: number): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: vocab, hidden_size: s.hidden, intermediate_size: s.intermediate,
    num_hidden_layers: s.layers, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 1024, rms_norm_eps: 1e-6,
    rope_theta: 10000, tie_word_embeddings: true, hidden_act: 'silu', initializer_range: 0.02,
  };
}

/** The demo's stages: the whole recipe, with the sizes of `s`. */
export function demoStages(s: Sizes, d: DemoData): StageSpec[] {
  const seed = d.seed, vocab = d.vocab;
  const data = (f: string) => `\${data}/${f}`;
  const sft = { tokenizer: '${tokenizer}', seq_len: s.seqLen, batch_size: s.batch, lr: 1e-3, min_lr: 1e-4, warmup_ratio: 0.05, save_every: 0, seed };
  return [
    // the data stage's config is what it draws, so a change of sizes regenerates it (and what follows)
    { name: 'data', kind: 'builtin-data', config: { ...d } },
    { name: 'tokenizer', kind: 'builtin-tokenizer', config: { data: '${data}', vocab } },
    { name: 'pretrain', kind: 'pretrain', config: { model_config: modelConfig(s, vocab), tokenizer: '${tokenizer}', train_data: [data('pretrain.jsonl')],
      seq_len: s.seqLen, batch_size: s.batch, max_steps: s.pretrainSteps, lr: 2e-3, min_lr: 1e-4, warmup_ratio: 0.05, weight_decay: 0.1, save_every: Math.max(10, Math.round(s.pretrainSteps / 4)), seed } },
    // a short-CoT SFT warm start on the built-in conversations, shared by the expert and the student
    // (V3 trains its experts from the base; on 2 CPU cores one SFT from the base is what fits)
    { name: 'sft-warm', kind: 'sft', config: { ...sft, model: '${pretrain}', train_data: [data('sft.jsonl')], epochs: s.sftEpochs } },
    // the expert: long-CoT SFT then GRPO with the system prompt (V3 §5.1: SFT + RL, then the data generator)
    { name: 'expert-sft', kind: 'sft', config: { ...sft, model: '${sft-warm}', train_data: [data('expert_sft.jsonl')], seq_len: s.expertSeqLen, epochs: s.expertEpochs, lr: 5e-4, min_lr: 5e-5 } },
    { name: 'expert-rl', kind: 'grpo', config: { model: '${expert-sft}', train_data: [data('rl_math.jsonl')], system_prompt: REFLECTION_SYSTEM_PROMPT,
      rewards: ['math'], group_size: s.grpoGroup, prompts_per_step: s.grpoPrompts, max_new_tokens: s.longTokens, temperature: 1, lr: 2e-4, beta: 0.1,
      aggregation: 'token-mean', eps_high: 0.28, lora: true, lora_r: 8, lora_alpha: 16, max_steps: s.expertRlSteps, dynamic_sampling_rounds: 1, log_samples_every: 5, seed } },
    // reasoning data from the expert, rejection-sampled by its boxed answer (V3's rule); decontaminated
    // against the held-out problems. check_equations (every "a op b = c" true) kept 165 of 1,600
    // problems instead of 571 — too few for the student to learn the long format (README)
    { name: 'reasoning-data', kind: 'gen-data', config: { teacher: '${expert-rl}', prompts: [data('rl_math.jsonl')], limit: s.genProblems,
      system_prompt: REFLECTION_SYSTEM_PROMPT, samples_per_prompt: s.genSamples, temperature: 0.6, top_p: 1, max_tokens: s.longTokens, prompts_per_batch: 64, batch_size: 64,
      verifier: s.strictGeneration ? 'math' : 'none', keep: 'shortest', require_think: s.strictGeneration, require_boxed: s.strictGeneration,
      drop_truncated: s.strictGeneration, check_equations: false, original_column: 'solution',
      decontaminate: [data('heldout_math.jsonl')], ngram: 8, contamination_threshold: 0.5, seed } },
    // non-reasoning data: the expert as generalist, through the annotation gate
    { name: 'non-reasoning-data', kind: 'annotate', config: { generalist: '${expert-rl}', prompts: data('generalist_prompts.jsonl'), max_tokens: 48, temperature: 0.3, seed, auto: 'grader' } },
    // the student's SFT data: the kept problems' short-CoT originals (V3 Table 9's baseline) + the accepted items
    // (with the short-CoT conversations again: a few hundred rows alone would be a handful of Adam
    // steps that knock the model off — measured 10.5% → 3.3%)
    { name: 'sft-data', kind: 'mix', config: { data: '${reasoning-data}', teacher_share: 0, original_share: 1, extra: ['${non-reasoning-data}', data('sft.jsonl')], seed } },
    { name: 'sft', kind: 'sft', config: { ...sft, model: '${sft-warm}', train_data: ['${sft-data}'], epochs: 1, lr: 3e-4, min_lr: 3e-5 } },
    { name: 'rm', kind: 'rm', config: { model: '${sft}', train_data: [data('preferences.jsonl')], eval_fraction: 0.1, batch_size: 16, epochs: 1, lr: 3e-4, max_length: s.seqLen, seed } },
    { name: 'judge', kind: 'sft', config: { ...sft, model: '${sft}', train_data: [data('judge_sft.jsonl')], seq_len: 384, epochs: 1, lr: 5e-4, min_lr: 5e-5 } },
    { name: 'judge-eval', kind: 'judge-eval', config: { judge: '${judge}' } },
    // GRPO on the student, each row routed to its reward (V3 §2.1)
    { name: 'grpo', kind: 'grpo', config: { model: '${sft}', train_data: [data('rl_math.jsonl'), data('rl_instructions.jsonl')],
      rewards: ['routed', 'math'], reward_weights: [1, 0], accuracy_reward: 'math', rule_rewards: ['math_and_steps'], reward_models: ['${rm}'], judge: '${judge}', judge_max_tokens: 64,
      group_size: s.grpoGroup, prompts_per_step: s.grpoPrompts, max_new_tokens: s.grpoTokens, temperature: 1, lr: 2e-4, warmup_steps: Math.min(3, s.grpoSteps - 1), beta: 0.1,
      aggregation: 'token-mean', eps_high: 0.28, lora: true, lora_r: 8, lora_alpha: 16, max_steps: s.grpoSteps, log_samples_every: 5, seed } },
    // distillation from the long-CoT teacher: its verified samples (without the system prompt, so the
    // student thinks long by default), sequence-level (cross-entropy) + token-level (forward KL)
    { name: 'distill-data', kind: 'mix', config: { data: '${reasoning-data}', teacher_share: 1, original_share: 0, drop_system: true, seed } },
    { name: 'distill', kind: 'distill', config: { student: '${grpo}', teacher: '${expert-rl}', train_data: ['${distill-data}'], loss: 'forward_kl', sft_weight: 1, lambda: 0,
      epochs: s.distillEpochs, batch_size: s.batch, max_length: s.expertSeqLen, lr: 3e-4, min_lr: 3e-5, warmup_ratio: 0.05, seed } },
    { name: 'eval', kind: 'demo-eval', config: { models: [
      { name: 'base', model: '${pretrain}' }, { name: 'sft-warm', model: '${sft-warm}' }, { name: 'teacher', model: '${expert-rl}', system: REFLECTION_SYSTEM_PROMPT },
      { name: 'sft', model: '${sft}' }, { name: 'grpo', model: '${grpo}' }, { name: 'distilled', model: '${distill}' },
    ] } },
  ];
}

export interface DemoSummary {
  models: ModelReport[];
  judge: { math: JudgeStats; instructions: JudgeStats };
  stages: { name: string; kind: string; seconds: number; cached: boolean; metrics: Record<string, unknown> }[];
  /** report.html's path, and what it shows (the terminal summary prints the same tables). */
  report: string;
  reportInput: ReportInput;
  params: number;
}

export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  const s = o.quick ? QUICK : FULL;
  const d: DemoData = {
    seed: o.seed, pretrainDocuments: s.pretrainDocuments, sftConversations: s.sftConversations, heldOutMath: s.heldOutMath, heldOutInstructions: s.heldOutInstructions,
    rlMath: s.rlMath, expertMath: s.expertMath, expertInstructions: s.expertInstructions, rmMath: s.rmMath, rmInstructions: s.rmInstructions,
    judgeMath: s.judgeMath, judgeInstructions: s.judgeInstructions, rlInstructions: s.rlInstructions, generalistPrompts: s.generalistPrompts, vocab: s.vocab,
    decompose: s.decompose,
  };
  let task: BuiltinTask | null = null;
  const getTask = () => (task ??= demoTask(d));
  const mathAndSteps = (x: RewardInput) => {
    const m = BUILTIN_REWARDS['math']!(x) as number | null;
    return m === null ? null : m + 0.5 * (BUILTIN_REWARDS['steps']!(x) as number);
  };
  const kinds = {
    ...stageKinds({ rewardFns: { math_and_steps: mathAndSteps }, autoAnnotator: graderAnnotator(getTask) }),
    'builtin-data': dataStage(d, getTask), 'builtin-tokenizer': tokenizerStage(d, getTask),
    'judge-eval': judgeEvalStage(d, getTask, s.judgeEval), 'demo-eval': demoEvalStage(getTask, { maxNewTokens: s.longTokens, k: s.evalSamples, seed: o.seed }),
  };
  const run = await runStages(o.out, demoStages(s, d), kinds, { log: o.log, source: 'demo' });
  if (run.waiting) throw new Error(`demo: stage ${run.waiting.stage} is waiting: ${run.waiting.message}`);
  const models = JSON.parse(readFileSync(stageOutput(run, 'eval'), 'utf8')) as ModelReport[];
  const judge = JSON.parse(readFileSync(stageOutput(run, 'judge-eval'), 'utf8')) as DemoSummary['judge'];
  const input = reportInput(run, models, judge);
  const report = writeReport(o.out, input);
  const config = JSON.parse(readFileSync(join(stageOutput(run, 'pretrain'), 'config.json'), 'utf8')) as Record<string, number>;
  const params = approxParams(config);
  return { models, judge, stages: run.stages.map((x) => ({ name: x.name, kind: x.kind, seconds: x.seconds, cached: x.cached, metrics: x.metrics })), report, reportInput: input, params };
}

function stageOutput(run: RunReport, name: string): string {
  const st = run.stages.find((x) => x.name === name);
  if (!st) throw new Error(`demo: no stage '${name}' in the run`);
  return st.output;
}

/** Parameters of the demo's Llama from its config (tied embeddings). */
function approxParams(c: Record<string, number>): number {
  const h = c['hidden_size']!, v = c['vocab_size']!, l = c['num_hidden_layers']!, i = c['intermediate_size']!;
  const kv = (h / c['num_attention_heads']!) * c['num_key_value_heads']!;
  return v * h + l * (2 * h * h + 2 * h * kv + 3 * h * i + 2 * h) + h;
}

export function reportInput(run: RunReport, models: readonly ModelReport[], judge: DemoSummary['judge']): ReportInput {
  const by = (n: string) => models.find((m) => m.name === n);
  const row = (n: string, label: string) => ({ model: label, accuracy: by(n)?.math.accuracy ?? null, meanLength: by(n)?.math.meanLength ?? null });
  const gen = run.stages.find((x) => x.name === 'reasoning-data')?.metrics as Record<string, unknown> | undefined;
  return {
    title: 'posttrain demo — DeepSeek-V3 post-training on the built-in task',
    createdAt: new Date().toISOString(),
    stages: stageSummaries(run),
    evaluations: models.map((m) => ({ model: m.name, stage: m.name === 'base' ? 'pretrain' : m.name === 'teacher' ? 'expert-rl' : m.name, accuracy: m.math.accuracy, meanLength: m.math.meanLength,
      extra: { 'instructions': m.instructions.accuracy, ...(m.math.pass1 !== null ? { 'pass@1': m.math.pass1 } : {}), 'system prompt': m.system ? 'reflection' : 'none' } })),
    distillation: { benchmark: `held-out built-in math (${by('grpo')?.math.n ?? 0} problems, greedy)`,
      rows: [row('grpo', 'student (baseline: short-CoT SFT + GRPO)'), row('distilled', '+ long-CoT distillation'), row('teacher', 'teacher (expert, with the system prompt)')],
      settings: { keep: 'shortest correct', 'problems kept': `${(gen?.['outcomes'] as Record<string, number> | undefined)?.['kept'] ?? 0} of ${gen?.['problems'] ?? 0}`,
        'teacher sample accuracy': typeof gen?.['teacherAccuracy'] === 'number' ? `${(100 * (gen['teacherAccuracy'] as number)).toFixed(1)}%` : '—',
        'mix (teacher : original)': '1 : 0', loss: 'forward KL + cross-entropy' } },
    samples: models.flatMap((m) => m.samples.slice(0, 2).map((x) => ({ stage: m.name, prompt: x.question, response: x.completion, correct: x.correct }))),
    notes: [
      `judge on held-out judgements: math balanced accuracy ${(100 * judge.math.balanced).toFixed(1)}%, instructions ${(100 * judge.instructions.balanced).toFixed(1)}%`,
      'the non-reasoning data passed the annotation gate with the automatic annotator (the built-in grader), marked annotator: auto',
    ],
  };
}

/** The terminal summary: the report's tables (evaluations, the distillation table, stages). */
export function summaryText(s: DemoSummary): string {
  return terminalSummary(s.reportInput);
}
