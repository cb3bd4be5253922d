// The demo's own stage kinds, around the general ones of stage_kinds.ts: the built-in task's data
// files (including the expert's long-CoT conversations, the judge's judgements, preference pairs
// and the prompts of the generalist), the BPE tokenizer trained on them, the judge's held-out
// verdicts, and the final evaluation of every model on held-out math and instructions.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  builtinTask, writeBuiltinData, instructionCorrect, preferencePairs, judgementRows, instructionJudgementRows,
  longCotSolution, REFLECTION_SYSTEM_PROMPT, type BuiltinTask,
} from '../data/builtin/index.js';
import type { InstructionItem } from '../data/builtin/types.js';
import { judgementConversation, judgeMessages, parseJudgement } from '../rewards/judge.js';
import { generate } from '../generation/index.js';
import { Tokenizer, trainByteLevelBpe, makeTokenizerConfig, applyChatTemplate, CHATML_SPECIAL_TOKENS } from '../tokenizer/index.js';
import { loadModel } from '../models/index.js';
import { evaluate, evaluateMath, type EvalItem } from './evaluate.js';
import type { StageKind } from './stages.js';

/** How much of the built-in task each part of the demo uses. */
export interface DemoData {
  seed: number; pretrainDocuments: number; sftConversations: number; heldOutMath: number; heldOutInstructions: number;
  rlMath: number; expertMath: number; expertInstructions: number; rmMath: number; rmInstructions: number;
  judgeMath: number; judgeInstructions: number; rlInstructions: number; generalistPrompts: number; vocab: number;
  /** The expert's long CoT works each operation in small steps (true) or restates the solution (false); both end with checks. */
  decompose: boolean;
}

const jsonl = (file: string, rows: readonly unknown[]) => writeFileSync(file, rows.map((r) => JSON.stringify(r) + '\n').join(''));

/** a[0], b[0], a[1], b[1], … then the rest of the longer one. */
function interleave<T>(a: readonly T[], b: readonly T[]): T[] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => [a[i], b[i]]).flat().filter((x): x is T => x !== undefined);
}

export function demoTask(d: DemoData): BuiltinTask {
  return builtinTask({ seed: d.seed, pretrainDocuments: d.pretrainDocuments, sftConversations: d.sftConversations,
    heldOutMath: d.heldOutMath, heldOutInstructions: d.heldOutInstructions, rlMath: d.rlMath });
}

/**
 * The data stage: the task's files (pretrain, sft — the short-CoT "original" conversations —,
 * rl_math, held-out sets) plus expert_sft.jsonl (long-CoT answers under the reflection system prompt
 * to the last expertMath RL problems, and instructions), generalist_prompts.jsonl (instructions for the annotation gate), rl_instructions,
 * preferences and judge_sft.
 */
export function dataStage(d: DemoData, task: () => BuiltinTask): StageKind {
  return async (_config, ctx) => {
    const t = task();
    writeBuiltinData(ctx.dir, t);
    const instr = t.trainInstructions;
    // the expert's own problems: the last expertMath RL problems, whose worked solutions the student
    // never sees (it gets the first ones through gen-data) — the expert knows more than the student
    if (d.expertMath > t.rlMath.length) throw new Error(`demo data: expertMath ${d.expertMath} exceeds rlMath ${t.rlMath.length}`);
    const expertMath = t.rlMath.slice(t.rlMath.length - d.expertMath);
    const expert = interleave(
      expertMath.map((p) => ({ messages: [{ role: 'system', content: REFLECTION_SYSTEM_PROMPT }, { role: 'user', content: p.question }, { role: 'assistant', content: longCotSolution(p, { decompose: d.decompose }) }] })),
      instr.slice(0, d.expertInstructions).map((it) => ({ messages: [{ role: 'user', content: it.instruction }, { role: 'assistant', content: it.answer }] })),
    );
    jsonl(join(ctx.dir, 'expert_sft.jsonl'), expert);
    let at = 0;
    const take = (n: number) => instr.slice(at, (at += n));
    const rmInstr = take(d.rmInstructions), judgeInstr = take(d.judgeInstructions), rlInstr = take(d.rlInstructions), generalist = take(d.generalistPrompts);
    jsonl(join(ctx.dir, 'generalist_prompts.jsonl'), generalist.map((it) => ({ instruction: it.instruction, kind: it.kind })));
    jsonl(join(ctx.dir, 'generalist_references.jsonl'), generalist);
    jsonl(join(ctx.dir, 'rl_instructions.jsonl'), rlInstr.map((it, i) => ({ question: it.instruction, kind: it.kind, ...(i % 2 === 0 ? { reference: it.answer } : {}) })));
    jsonl(join(ctx.dir, 'preferences.jsonl'), preferencePairs(t.rlMath.slice(0, d.rmMath), rmInstr, d.seed));
    const judgeMath = t.rlMath.slice(d.rmMath, d.rmMath + d.judgeMath);
    jsonl(join(ctx.dir, 'judge_sft.jsonl'), interleave(judgementRows(judgeMath, d.seed), instructionJudgementRows(judgeInstr, d.seed)).map((r) => ({ messages: judgementConversation(r) })));
    ctx.log(`  ${t.pretrainDocuments.length} pretraining documents, ${t.sftConversations.length} SFT conversations, ${expert.length} expert conversations, ${t.rlMath.length} RL problems, ${t.heldOutMath.length}+${t.heldOutInstructions.length} held-out items`);
    return { output: ctx.dir, metrics: { pretrain: t.pretrainDocuments.length, sft: t.sftConversations.length, expert: expert.length, rl_math: t.rlMath.length } };
  };
}

/** A byte-level BPE tokenizer on the task's text, the long-CoT answers and the system prompt included. */
export function tokenizerStage(d: DemoData, task: () => BuiltinTask): StageKind {
  return async (_config, ctx) => {
    if (!existsSync(join(ctx.dir, 'tokenizer.json'))) {
      const t = task();
      const corpus = [...t.tokenizerCorpus(), REFLECTION_SYSTEM_PROMPT, ...t.trainMath.map((p) => longCotSolution(p))];
      const tok = Tokenizer.fromFiles(trainByteLevelBpe(corpus, { vocabSize: d.vocab, specialTokens: CHATML_SPECIAL_TOKENS }), makeTokenizerConfig({ eos: '<|im_end|>', pad: '<|endoftext|>' }));
      tok.save(ctx.dir);
    }
    return { output: ctx.dir, metrics: { vocab: Tokenizer.fromDir(ctx.dir).vocabSize } };
  };
}

export interface JudgeStats { accuracy: number; onCorrect: number; onIncorrect: number; balanced: number; correctShare: number; unparseable: number; n: number }

/**
 * Greedy judgements of held-out rows: the share whose parsed verdict equals the label (no verdict =
 * wrong), overall and per label (balanced = the mean of the two).
 */
export function evaluateJudge(dir: string, rows: readonly { question: string; response: string; reference: string; verdict: string }[]): JudgeStats {
  const { model } = loadModel(dir);
  const tokenizer = Tokenizer.fromDir(dir);
  try {
    const prompts = rows.map((r) => tokenizer.encode(applyChatTemplate(tokenizer, judgeMessages(r, 'reference'), { addGenerationPrompt: true })));
    let right = 0, unparseable = 0;
    const perLabel = { correct: [0, 0], incorrect: [0, 0] };
    for (let i = 0; i < prompts.length; i += 16) {
      const outs = generate(model, prompts.slice(i, i + 16), { maxNewTokens: 96, temperature: 0, eosTokenIds: tokenizer.eosTokenIds, padTokenId: tokenizer.padTokenId ?? 0 });
      outs.forEach((c, j) => {
        const v = parseJudgement(tokenizer.decode(c.tokens, { skipSpecialTokens: true }), 'reference').score;
        const label = rows[i + j]!.verdict === 'correct' ? 'correct' : 'incorrect';
        const ok = v !== null && (v === 1) === (label === 'correct');
        perLabel[label][0]! += ok ? 1 : 0;
        perLabel[label][1]!++;
        if (v === null) unparseable++;
        if (ok) right++;
      });
    }
    const rate = ([k, n]: number[]) => k! / Math.max(1, n!);
    return { accuracy: right / Math.max(1, rows.length), onCorrect: rate(perLabel.correct), onIncorrect: rate(perLabel.incorrect),
      balanced: (rate(perLabel.correct) + rate(perLabel.incorrect)) / 2, correctShare: perLabel.correct[1]! / Math.max(1, rows.length), unparseable, n: rows.length };
  } finally {
    model.dispose();
  }
}

export function judgeEvalStage(d: DemoData, task: () => BuiltinTask, judgeEval: number): StageKind {
  return async (config, ctx) => {
    const t = task(), dir = String(config['judge']);
    const stats = { math: evaluateJudge(dir, judgementRows(t.heldOutMath.slice(0, judgeEval), d.seed + 1)), instructions: evaluateJudge(dir, instructionJudgementRows(t.heldOutInstructions, d.seed + 1)) };
    const file = join(ctx.dir, 'judge_eval.json');
    writeFileSync(file, JSON.stringify(stats, null, 2) + '\n');
    return { output: file, metrics: stats };
  };
}

export interface ModelReport { name: string; math: { accuracy: number; pass1: number | null; majAtK: number | null; meanLength: number | null; n: number }; instructions: { accuracy: number; meanLength: number; n: number }; system: boolean; samples: { question: string; completion: string; correct: boolean }[] }

/** Every model on the held-out math (greedy, and k samples at T = 1 when k > 0) and instructions. */
export function demoEvalStage(task: () => BuiltinTask, o: { maxNewTokens: number; k: number; seed: number }): StageKind {
  return async (config, ctx) => {
    const t = task();
    const models = config['models'] as { name: string; model: string; system?: string }[];
    const problems = t.heldOutMath.map((p) => ({ question: p.question, answer: String(p.answer) }));
    const instrItems: EvalItem[] = t.heldOutInstructions.map((it: InstructionItem) => ({ question: it.instruction, kind: it.kind, check: (c) => instructionCorrect(c, it) }));
    const reports: ModelReport[] = [];
    for (const m of models) {
      const { model } = loadModel(m.model);
      const tokenizer = Tokenizer.fromDir(m.model);
      try {
        const opts = { maxNewTokens: o.maxNewTokens, batchSize: 32, ...(m.system ? { system: m.system } : {}) };
        const math = evaluateMath(model, tokenizer, problems, { ...opts, k: o.k, temperature: 1, topP: 1, seed: o.seed });
        const instructions = evaluate(model, tokenizer, instrItems, { maxNewTokens: 48, batchSize: 32 });
        reports.push({ name: m.name, system: Boolean(m.system), math: { accuracy: math.greedyAccuracy, pass1: math.pass1, majAtK: math.majAtK, meanLength: math.meanLength, n: math.n },
          instructions: { accuracy: instructions.accuracy, meanLength: instructions.meanLength, n: instructions.n },
          samples: math.items.slice(0, 4).map((it) => ({ question: it.question, completion: it.completion, correct: it.correct })) });
        ctx.log(`  ${m.name.padEnd(10)} math ${(100 * math.greedyAccuracy).toFixed(1)}% (length ${math.meanLength?.toFixed(1)}), instructions ${(100 * instructions.accuracy).toFixed(1)}%`);
      } finally {
        model.dispose();
      }
    }
    const file = join(ctx.dir, 'eval.json');
    writeFileSync(file, JSON.stringify(reports, null, 2) + '\n');
    return { output: file, metrics: { models: reports.map((r) => ({ name: r.name, math: r.math, instructions: r.instructions })) } };
  };
}

/** The demo's automatic annotator: accepts a generalist answer the built-in grader finds right. */
export function graderAnnotator(task: () => BuiltinTask): (item: { messages: { role: string; content: string }[]; response: string }) => boolean {
  let byInstruction: Map<string, InstructionItem> | null = null;
  return (item) => {
    byInstruction ??= new Map(task().trainInstructions.map((it) => [it.instruction, it]));
    const question = item.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
    const it = byInstruction.get(question);
    return it !== undefined && instructionCorrect(item.response, it);
  };
}
