// The demo's own evaluation stages, around the general kinds of stage_kinds.ts:
//   reward-eval  the generative judge and the scalar reward model on the same held-out responses —
//                each held-out problem's right long-CoT response and a copy with a planted error
//                (chain_judgements.ts): the judge's balanced accuracy and unparseable count, the
//                RM's pair accuracy (right over planted), and the judge's pair accuracy beside it
//   demo-eval    every model on the held-out problems (greedy, and k samples at T = 1 for pass@1)
//                and the held-out instructions, with n stated so every accuracy carries its standard error
// and the automatic annotator of the annotation gate (the built-in grader, marked 'auto').
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { instructionCorrect } from '../data/builtin/index.js';
import type { InstructionItem } from '../data/builtin/types.js';
import { chainJudgementRows, CHAIN_JUDGE_SCALE } from '../data/builtin/chain_judgements.js';
import { judgeMessages, parseJudgement } from '../rewards/judge.js';
import { generate } from '../generation/index.js';
import { Tokenizer, applyChatTemplate } from '../tokenizer/index.js';
import { loadModel } from '../models/index.js';
import { loadRewardModel } from '../models/reward_model.js';
import { evaluate, evaluateMath, type EvalItem } from '../eval/evaluate.js';
import type { DemoProblems } from './demo_data.js';
import type { StageKind } from './stages.js';

export interface JudgeStats {
  n: number;
  /** Share of right responses judged right, of planted-error responses judged wrong, and their mean. */
  onCorrect: number;
  onIncorrect: number;
  balanced: number;
  /** Judgements without a parseable score (counted as wrong). */
  unparseable: number;
  /** Problems whose right response the judge scores above its planted-error copy. */
  pairAccuracy: number;
}

export interface RewardEval {
  judge: JudgeStats;
  rm: { pairs: number; pairAccuracy: number; meanMargin: number };
  problems: number;
}

/** Greedy judgements of rows: the parsed score per row (null: unparseable). */
function judgeScores(
  dir: string,
  rows: readonly { question: string; response: string; rubric: string }[],
  maxTokens: number,
): (number | null)[] {
  const { model } = loadModel(dir);
  const tokenizer = Tokenizer.fromDir(dir);
  try {
    const prompts = rows.map((r) =>
      tokenizer.encode(applyChatTemplate(tokenizer, judgeMessages(r, 'rubric', CHAIN_JUDGE_SCALE), { addGenerationPrompt: true })),
    );
    const scores: (number | null)[] = [];
    for (let i = 0; i < prompts.length; i += 32) {
      const outs = generate(model, prompts.slice(i, i + 32), {
        maxNewTokens: maxTokens,
        temperature: 0,
        eosTokenIds: tokenizer.eosTokenIds,
        padTokenId: tokenizer.padTokenId ?? 0,
      });
      for (const c of outs)
        scores.push(parseJudgement(tokenizer.decode(c.tokens, { skipSpecialTokens: true }), 'rubric', CHAIN_JUDGE_SCALE).score);
    }
    return scores;
  } finally {
    model.dispose();
  }
}

/** The scalar RM's raw score of each (question, response), rendered as the RM trainer renders a pair's side (data/preferences.ts: the whole conversation through the chat template). */
function rmScores(dir: string, rows: readonly { question: string; response: string }[]): number[] {
  const rm = loadRewardModel(dir);
  const tokenizer = Tokenizer.fromDir(dir);
  try {
    return rows.map((r) => {
      const ids = tokenizer.encode(
        applyChatTemplate(tokenizer, [
          { role: 'user', content: r.question },
          { role: 'assistant', content: r.response },
        ]),
      );
      return rm.rewardOf(ids);
    });
  } finally {
    rm.dispose();
  }
}

export function rewardEvalStage(problems: () => DemoProblems, o: { count: number; seed: number; maxTokens: number }): StageKind {
  return async (config, ctx) => {
    const held = problems().heldOut.slice(0, o.count);
    // each problem: its right response and one with a planted error, in a fixed order per problem
    const rows = chainJudgementRows(held, o.seed + 1, 1);
    const byProblem = new Map<string, { right?: number; planted?: number }>();
    rows.forEach((r, i) => {
      const e = byProblem.get(r.question) ?? {};
      e[r.error === null ? 'right' : 'planted'] = i;
      byProblem.set(r.question, e);
    });
    const pairs = [...byProblem.values()].filter(
      (e): e is { right: number; planted: number } => e.right !== undefined && e.planted !== undefined,
    );
    const js = judgeScores(String(config['judge']), rows, o.maxTokens);
    const rightLabel = rows.map((r) => r.label === 'correct');
    const judgedRight = (i: number) => js[i] !== null && js[i]! >= 0.5;
    const rate = (xs: boolean[]) => (xs.length ? xs.filter(Boolean).length / xs.length : 0);
    const onCorrect = rate(rows.flatMap((_, i) => (rightLabel[i] ? [judgedRight(i)] : [])));
    const onIncorrect = rate(rows.flatMap((_, i) => (!rightLabel[i] ? [js[i] !== null && !judgedRight(i)] : [])));
    const judge: JudgeStats = {
      n: rows.length,
      onCorrect,
      onIncorrect,
      balanced: (onCorrect + onIncorrect) / 2,
      unparseable: js.filter((s) => s === null).length,
      pairAccuracy: rate(pairs.map((p) => (js[p.right] ?? -1) > (js[p.planted] ?? -1))),
    };
    const rs = rmScores(String(config['rm']), rows);
    const rm = {
      pairs: pairs.length,
      pairAccuracy: rate(pairs.map((p) => rs[p.right]! > rs[p.planted]!)),
      meanMargin: pairs.reduce((a, p) => a + rs[p.right]! - rs[p.planted]!, 0) / Math.max(1, pairs.length),
    };
    const result: RewardEval = { judge, rm, problems: held.length };
    const file = join(ctx.dir, 'reward_eval.json');
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    ctx.log(
      `  judge: balanced accuracy ${(100 * judge.balanced).toFixed(1)}% on ${rows.length} responses (${judge.unparseable} unparseable), pair accuracy ${(100 * judge.pairAccuracy).toFixed(1)}%; ` +
        `scalar RM: pair accuracy ${(100 * rm.pairAccuracy).toFixed(1)}% on ${pairs.length} pairs`,
    );
    return { output: file, metrics: { ...result } };
  };
}

export interface ModelReport {
  name: string;
  math: { accuracy: number; pass1: number | null; majAtK: number | null; meanLength: number | null; n: number; k: number };
  instructions: { accuracy: number; meanLength: number; n: number };
  system: boolean;
  samples: { question: string; completion: string; correct: boolean }[];
}

/** Every model on the held-out problems (greedy; k samples at T = 1 where the model asks for them) and instructions. */
export function demoEvalStage(problems: () => DemoProblems, o: { maxNewTokens: number; seed: number }): StageKind {
  return async (config, ctx) => {
    const pr = problems();
    const models = config['models'] as { name: string; model: string; system?: string; k?: number }[];
    const math = pr.heldOut.map((p, i) => ({ id: `heldout-${i}`, question: p.question, answer: String(p.answer) }));
    const instrItems: EvalItem[] = pr.task.heldOutInstructions.map((it: InstructionItem) => ({
      question: it.instruction,
      kind: it.kind,
      check: (c) => instructionCorrect(c, it),
    }));
    const reports: ModelReport[] = [];
    for (const m of models) {
      const { model } = loadModel(m.model);
      const tokenizer = Tokenizer.fromDir(m.model);
      try {
        const k = m.k ?? 0;
        const opts = { maxNewTokens: o.maxNewTokens, batchSize: 64, ...(m.system ? { system: m.system } : {}) };
        const r = evaluateMath(model, tokenizer, math, { ...opts, k, temperature: 1, topP: 1, seed: o.seed });
        const instructions = evaluate(model, tokenizer, instrItems, { maxNewTokens: 32, batchSize: 64 });
        reports.push({
          name: m.name,
          system: Boolean(m.system),
          math: { accuracy: r.greedyAccuracy, pass1: r.pass1, majAtK: r.majAtK, meanLength: r.meanLength, n: r.n, k },
          instructions: { accuracy: instructions.accuracy, meanLength: instructions.meanLength, n: instructions.n },
          samples: r.items.slice(0, 4).map((it) => ({ question: it.question, completion: it.completion, correct: it.correct })),
        });
        ctx.log(
          `  ${m.name.padEnd(10)} ${(100 * r.greedyAccuracy).toFixed(1)}% of ${r.n} (length ${r.meanLength?.toFixed(1)})` +
            `${r.pass1 !== null ? `, pass@1 ${(100 * r.pass1).toFixed(1)}% (T = 1, ${k} samples)` : ''}, instructions ${(100 * instructions.accuracy).toFixed(1)}%`,
        );
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
export function graderAnnotator(
  problems: () => DemoProblems,
): (item: { messages: { role: string; content: string }[]; response: string }) => boolean {
  let byInstruction: Map<string, InstructionItem> | null = null;
  return (item) => {
    byInstruction ??= new Map(problems().task.trainInstructions.map((it) => [it.instruction, it]));
    const question = item.messages
      .filter((m) => m.role === 'user')
      .map((m) => m.content)
      .join('\n');
    const it = byInstruction.get(question);
    return it !== undefined && instructionCorrect(item.response, it);
  };
}
