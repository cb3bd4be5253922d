// The demo's data and tokenizer stages: the built-in reasoning domain (chains of operations modulo
// p, src/data/builtin/modchain.ts) plus the built-in task's instructions for the non-reasoning side.
// Every problem pool is drawn from its own stream after the held-out set, disjoint from it and from
// each other by canonical key, so no held-out problem appears in any training text.
//   pretrain.jsonl           the base's corpus: runs of one repeated operation ("3*5=1\n1*5=5\n…", the
//                            arithmetic facts); worked solutions as plain text and the built-in task's
//                            general text are options the demo leaves at 0 (measured: either in the
//                            base kept the long CoT from being learned in 400 SFT steps — README)
//   expert_sft.jsonl         the expert's long-CoT answers (ground truth) under the reflection prompt, + instructions
//   rl_math.jsonl            {question, answer, solution (the short CoT: V3's "original response"), id}:
//                            gen-data's problems and GRPO's prompts
//   heldout_math.jsonl       {question, answer, id} for evaluation
//   instructions_sft.jsonl   non-reasoning conversations for every student
//   generalist_prompts.jsonl instructions for the annotation gate
//   preferences.jsonl        right long-CoT response over one with a planted error (scalar RM)
//   judge_sft.jsonl          judgements that re-derive each step, then a score (generative judge)
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../common/rng.js';
import { builtinTask, REFLECTION_SYSTEM_PROMPT, type BuiltinTask } from '../data/builtin/index.js';
import {
  drawChain,
  factsDocument,
  longCot,
  shortCot,
  workedDocument,
  type ChainProblem,
  type ChainShape,
} from '../data/builtin/modchain.js';
import { chainJudgementRows, chainPreferencePairs, CHAIN_JUDGE_SCALE, CHAIN_RUBRIC } from '../data/builtin/chain_judgements.js';
import { judgeMessages, judgementConversation } from '../rewards/judge.js';
import { Tokenizer, trainByteLevelBpe, makeTokenizerConfig, CHATML_SPECIAL_TOKENS, STEP_SPLIT_PATTERN } from '../tokenizer/index.js';
import type { StageKind } from './stages.js';

/** How much of each kind of data the demo draws. */
export interface DemoData {
  seed: number;
  modulus: number;
  steps: number;
  heldOut: number;
  /** Documents of one repeated operation (the arithmetic facts) in the base's corpus. */
  pretrainFacts: number;
  /** Worked solutions (question, then one fact per line) in the base's corpus. */
  pretrainWorked: number;
  /** The built-in task's general documents (stories, definitions) in the base's corpus. */
  pretrainGeneral: number;
  expertProblems: number;
  rlProblems: number;
  rmProblems: number;
  judgeProblems: number;
  instructions: number;
  expertInstructions: number;
  generalistPrompts: number;
  heldOutInstructions: number;
  vocab: number;
}

export interface DemoProblems {
  shape: ChainShape;
  heldOut: ChainProblem[];
  worked: ChainProblem[];
  expert: ChainProblem[];
  rl: ChainProblem[];
  rm: ChainProblem[];
  judge: ChainProblem[];
  /** The built-in task: instructions (training and held-out) and general documents. */
  task: BuiltinTask;
}

/** Every problem pool of the demo, deterministic in d.seed. */
export function demoProblems(d: DemoData): DemoProblems {
  const shape = { modulus: d.modulus, steps: d.steps };
  const root = new Rng(d.seed).fork('chains');
  const seen = new Set<string>();
  const pool = (stream: string, n: number): ChainProblem[] => {
    const rng = root.fork(stream),
      out: ChainProblem[] = [];
    for (let tries = 0; out.length < n; tries++) {
      if (tries > 100 * (n + 100))
        throw new Error(`demo data: could not draw ${n} distinct ${stream} problems (modulus ${d.modulus}, ${d.steps} steps)`);
      const p = drawChain(rng, shape);
      if (seen.has(p.key)) continue;
      seen.add(p.key);
      out.push(p);
    }
    return out;
  };
  const heldOut = pool('heldout', d.heldOut); // first: every later pool avoids its keys
  const task = builtinTask({
    seed: d.seed,
    pretrainDocuments: d.pretrainGeneral,
    sftConversations: d.instructions + d.expertInstructions + d.generalistPrompts,
    reasoningFraction: 0,
    heldOutMath: 0,
    heldOutInstructions: d.heldOutInstructions,
    rlMath: 0,
  });
  return {
    shape,
    heldOut,
    worked: pool('worked', d.pretrainWorked),
    expert: pool('expert', d.expertProblems),
    rl: pool('rl', d.rlProblems),
    rm: pool('rm', d.rmProblems),
    judge: pool('judge', d.judgeProblems),
    task,
  };
}

const jsonl = (file: string, rows: readonly unknown[]) => writeFileSync(file, rows.map((r) => JSON.stringify(r) + '\n').join(''));
const chat = (user: string, assistant: string, system?: string) => ({
  messages: [
    ...(system ? [{ role: 'system', content: system }] : []),
    { role: 'user', content: user },
    { role: 'assistant', content: assistant },
  ],
});
const problemRow = (p: ChainProblem, i: number, split: string) => ({
  id: `${split}-${i}`,
  question: p.question,
  answer: String(p.answer),
  solution: shortCot(p),
});

export function dataStage(d: DemoData, problems: () => DemoProblems): StageKind {
  return async (_config, ctx) => {
    const pr = problems();
    const rng = new Rng(d.seed).fork('pretrain-order');
    const docs = [
      ...Array.from({ length: d.pretrainFacts }, () => factsDocument(rng, d.modulus)),
      ...pr.worked.map(workedDocument),
      ...pr.task.pretrainDocuments,
    ];
    rng.shuffle(docs);
    jsonl(
      join(ctx.dir, 'pretrain.jsonl'),
      docs.map((text) => ({ text })),
    );
    const instr = pr.task.trainInstructions;
    let at = 0;
    const take = (n: number) => instr.slice(at, (at += n));
    const sftInstr = take(d.instructions),
      expertInstr = take(d.expertInstructions),
      generalist = take(d.generalistPrompts);
    const expert = [
      ...pr.expert.map((p) => chat(p.question, longCot(p), REFLECTION_SYSTEM_PROMPT)),
      ...expertInstr.map((it) => chat(it.instruction, it.answer)),
    ];
    new Rng(d.seed).fork('expert-order').shuffle(expert);
    jsonl(join(ctx.dir, 'expert_sft.jsonl'), expert);
    jsonl(
      join(ctx.dir, 'rl_math.jsonl'),
      pr.rl.map((p, i) => problemRow(p, i, 'rl')),
    );
    jsonl(
      join(ctx.dir, 'heldout_math.jsonl'),
      pr.heldOut.map((p, i) => ({ id: `heldout-${i}`, question: p.question, answer: String(p.answer) })),
    );
    jsonl(
      join(ctx.dir, 'instructions_sft.jsonl'),
      sftInstr.map((it) => chat(it.instruction, it.answer)),
    );
    jsonl(
      join(ctx.dir, 'generalist_prompts.jsonl'),
      generalist.map((it) => ({ instruction: it.instruction, kind: it.kind })),
    );
    jsonl(join(ctx.dir, 'heldout_instructions.jsonl'), pr.task.heldOutInstructions);
    jsonl(join(ctx.dir, 'preferences.jsonl'), chainPreferencePairs(pr.rm, d.seed));
    jsonl(
      join(ctx.dir, 'judge_sft.jsonl'),
      chainJudgementRows(pr.judge, d.seed).map((r) => ({ messages: judgementConversation(r, CHAIN_JUDGE_SCALE) })),
    );
    ctx.log(
      `  modulus ${d.modulus}, ${d.steps} steps: ${docs.length} pretraining documents, ${expert.length} expert conversations, ${pr.rl.length} RL problems, ` +
        `${pr.rm.length} preference pairs, ${pr.judge.length} judged problems, ${pr.heldOut.length} held-out problems`,
    );
    return { output: ctx.dir, metrics: { pretrain: docs.length, expert: expert.length, rl: pr.rl.length, heldout: pr.heldOut.length } };
  };
}

/** A byte-level BPE tokenizer on what the models read: the facts, the three answer styles, the instructions and the
 *  judge's rubric prompt — not the judge's reasoning, so a change of its layout leaves the base and the expert as
 *  they were (measured: without the rubric prompt it took 166 tokens instead of 73 and every judge row overflowed
 *  its 384). Digits single, an operator bound to its operand (STEP_SPLIT_PATTERN). */
export function tokenizerStage(d: DemoData, problems: () => DemoProblems): StageKind {
  return async (_config, ctx) => {
    if (!existsSync(join(ctx.dir, 'tokenizer.json'))) {
      const pr = problems();
      const rng = new Rng(d.seed).fork('tokenizer');
      const corpus = [
        REFLECTION_SYSTEM_PROMPT,
        ...pr.task.tokenizerCorpus(),
        ...pr.rl.slice(0, 500).flatMap((p) => [p.question, longCot(p), shortCot(p)]),
        ...Array.from({ length: 200 }, () => factsDocument(rng, d.modulus)),
        // what the judge reads before it writes (its rubric prompt), as often as the old corpus held it
        ...Array<string>(100).fill(
          judgeMessages({ question: '', response: '', rubric: CHAIN_RUBRIC }, 'rubric', CHAIN_JUDGE_SCALE)[0]!.content,
        ),
      ];
      const tok = Tokenizer.fromFiles(
        trainByteLevelBpe(corpus, { vocabSize: d.vocab, specialTokens: CHATML_SPECIAL_TOKENS, preTokenizerPattern: STEP_SPLIT_PATTERN }),
        makeTokenizerConfig({ eos: '<|im_end|>', pad: '<|endoftext|>' }),
      );
      tok.save(ctx.dir);
    }
    return { output: ctx.dir, metrics: { vocab: Tokenizer.fromDir(ctx.dir).vocabSize } };
  };
}
