// The built-in task: a small post-training world generated in code from a seed, so models can be
// trained from scratch and evaluated with nothing downloaded.
//   pretrainDocuments    plain-text stories, worked problems, arithmetic facts, counting, definitions
//   sftConversations     user question → assistant answer; 'reasoning' = a math word problem with a
//                        step-by-step solution ending in \boxed{N}; 'non-reasoning' = a simple
//                        instruction with one exact answer
//   heldOutMath          problems for evaluation (mathCorrect), never in any training text
//   heldOutInstructions  instructions for evaluation (instructionCorrect), ditto
//   rlMath               further training-side math problems (question + answer) for RL prompts
//
// The held-out split (drawn first, from its own random stream):
//   - a math problem is identified by two canonical keys, neither of which depends on wording:
//     key = kind + the question's numbers sorted ('add-sub|3,5,7': the same problem told with
//     other names, things, verbs or another template of that kind), and stepsKey = its solution's
//     equations ('5+7=12;12-3=9': the same computation asked as another kind, e.g. "x + 5 = 12"
//     and "12 take away 5"). A training problem (SFT or a pretraining story / worked problem)
//     whose key OR stepsKey belongs to a held-out problem is never generated; nor is its text.
//   - an instruction is identified by kind + argument ('spell|apple'); no training conversation
//     has a held-out key. Transformations of a held-out argument (its upper case, its reversal,
//     its spelling, that count), under any kind, appear nowhere in training: a held-out
//     'uppercase|the cat ...' also keeps 'lowercase|the cat ...' and 'reverse-words|the cat ...'
//     out, and a held-out 'spell|apple' keeps 'first-letter|apple' out. World facts (the opposite of hot is
//     cold, there are 7 days in a week) and arithmetic facts (7 plus 5 is 12) are knowledge: the
//     pretraining corpus states them whether or not a held-out question asks about them, since a
//     model cannot answer a question about a fact it never saw.
//   - each kind gives at most a quarter of the distinct keys it can produce to the held-out set,
//     so small kinds (the times table, the 16 number facts) keep most of their items for training.
// Questions are unique within each split. Everything is deterministic in the seed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../common/rng.js';
import { drawKindInstance, drawMathInstance, estimateKeySpace, KINDS, RANGES, renderProblem, type MathInstance } from './math.js';
import { drawInstruction, INSTRUCTION_KINDS, type InstructionKind } from './instructions.js';
import { pretrainDocument } from './pretrain.js';
import type { ChatMessage, Difficulty, InstructionItem, MathProblem, SftConversation } from './types.js';

export type { ChatMessage, Difficulty, InstructionItem, MathProblem, SftConversation } from './types.js';
export { mathCorrect, instructionCorrect, normaliseAnswer, parseBoxedInteger, groundedSteps } from './grading.js';
export { equationsIn, stepsKeyOf, mathKey, generateMathProblem, KINDS as MATH_KINDS, RANGES as MATH_RANGES } from './math.js';
export { INSTRUCTION_KINDS } from './instructions.js';
export { MAX_DOC_CHARS, MAX_DOC_PIECES, countPieces } from './pretrain.js';
export { Rng } from '../../common/rng.js';
export { longCotSolution, workedOperation, checkOperation, REFLECTION_SYSTEM_PROMPT } from './long_cot.js';
export {
  preferencePairs,
  corruptSolution,
  judgementRows,
  instructionJudgementRows,
  judgementReasoning,
  type PreferenceRow,
  type JudgementExample,
} from './preferences.js';

export interface BuiltinTaskOptions {
  /** Default 0. */
  seed?: number;
  /** Default 30000 (about 7.5M characters, ~2M tokens with a 2k BPE; use a prefix for less). */
  pretrainDocuments?: number;
  /** Default 8000. */
  sftConversations?: number;
  /** Share of SFT conversations that are math problems. Default 0.7. */
  reasoningFraction?: number;
  /** Math problems for RL prompts (question + answer), none of them held out or in SFT. Default 0. */
  rlMath?: number;
  /** Default 200. */
  heldOutMath?: number;
  /** Default 50. */
  heldOutInstructions?: number;
  /** 1: operands mostly 1-20, results < 100, mostly 1-2 steps. 2: up to 50 / 300. 3: up to 100 /
   *  1000, more 3-step problems. Default 1. */
  difficulty?: Difficulty;
}

export const BUILTIN_DEFAULTS: Readonly<Required<BuiltinTaskOptions>> = {
  seed: 0,
  pretrainDocuments: 30000,
  sftConversations: 8000,
  reasoningFraction: 0.7,
  rlMath: 0,
  heldOutMath: 200,
  heldOutInstructions: 50,
  difficulty: 1,
};

/** Largest held-out share of any one kind's distinct keys. */
const HELD_OUT_KIND_SHARE = 0.25;

export interface BuiltinTask {
  pretrainDocuments: string[];
  sftConversations: SftConversation[];
  heldOutMath: MathProblem[];
  heldOutInstructions: InstructionItem[];
  /** Math problems for RL prompts (options.rlMath of them): training side, not in SFT. */
  rlMath: MathProblem[];
  /** Text for training the BPE tokenizer: pretraining documents, then every SFT message's content
   *  (no chat markup, no held-out text). */
  tokenizerCorpus(): Iterable<string>;
  /** The options the task was generated with, defaults filled in. */
  options: Readonly<Required<BuiltinTaskOptions>>;
  /** The math problems behind the reasoning conversations, in conversation order. */
  trainMath: MathProblem[];
  /** The instructions behind the non-reasoning conversations, in conversation order. */
  trainInstructions: InstructionItem[];
  /** Keys of every problem and transformation item that appears in any training text (SFT and
   *  pretraining); disjoint from the held-out keys by construction. */
  trainingKeys: { math: ReadonlySet<string>; mathSteps: ReadonlySet<string>; instructions: ReadonlySet<string> };
}

/** Question identity for uniqueness checks: case and spacing do not make a new question. */
export function questionKey(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

function checkOptions(o: Required<BuiltinTaskOptions>): void {
  const bad = (name: string, why: string): never => {
    throw new RangeError(`builtinTask: ${name} ${why}`);
  };
  if (!Number.isSafeInteger(o.seed)) bad('seed', `must be an integer, got ${o.seed}`);
  for (const name of ['pretrainDocuments', 'sftConversations', 'rlMath', 'heldOutMath', 'heldOutInstructions'] as const) {
    if (!Number.isSafeInteger(o[name]) || o[name] < 0) bad(name, `must be a whole number ≥ 0, got ${o[name]}`);
  }
  if (!(o.reasoningFraction >= 0 && o.reasoningFraction <= 1)) bad('reasoningFraction', `must be in [0, 1], got ${o.reasoningFraction}`);
  if (!(o.difficulty in RANGES)) bad('difficulty', `must be 1, 2 or 3, got ${o.difficulty}`);
}

export function builtinTask(opts: BuiltinTaskOptions = {}): BuiltinTask {
  const o: Required<BuiltinTaskOptions> = { ...BUILTIN_DEFAULTS };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  checkOptions(o);
  const root = new Rng(o.seed);
  const d = o.difficulty;

  // ---- held-out math: unique keys, stepsKeys and texts; a capped share of each kind
  const heldMath: MathProblem[] = [];
  const heldKeys = new Set<string>(),
    heldSteps = new Set<string>();
  {
    const rng = root.fork('heldout-math');
    const caps = new Map(KINDS.map((k) => [k.id, Math.max(1, Math.floor(HELD_OUT_KIND_SHARE * estimateKeySpace(k, d)))]));
    const taken = new Map<string, number>();
    const texts = new Set<string>();
    for (let tries = 0; heldMath.length < o.heldOutMath; tries++) {
      if (tries > 1000 * (o.heldOutMath + 10))
        throw new Error(`builtinTask: could not draw ${o.heldOutMath} distinct held-out math problems`);
      const inst = drawMathInstance(rng, d);
      const id = inst.kind.id;
      if ((taken.get(id) ?? 0) >= caps.get(id)! || heldKeys.has(inst.key) || heldSteps.has(inst.stepsKey)) continue;
      const p = renderProblem(inst);
      if (texts.has(questionKey(p.question))) continue;
      texts.add(questionKey(p.question));
      heldKeys.add(inst.key);
      heldSteps.add(inst.stepsKey);
      taken.set(id, (taken.get(id) ?? 0) + 1);
      heldMath.push(p);
    }
  }
  const mathAllowed = (inst: MathInstance): boolean => !heldKeys.has(inst.key) && !heldSteps.has(inst.stepsKey);

  // ---- held-out instructions
  const heldInstr: InstructionItem[] = [];
  const heldInstrKeys = new Set<string>();
  {
    const rng = root.fork('heldout-instructions');
    const caps = new Map(INSTRUCTION_KINDS.map((k) => [k.id, Math.max(1, Math.floor(HELD_OUT_KIND_SHARE * k.space))]));
    const taken = new Map<string, number>();
    for (let tries = 0; heldInstr.length < o.heldOutInstructions; tries++) {
      if (tries > 1000 * (o.heldOutInstructions + 10))
        throw new Error(`builtinTask: could not draw ${o.heldOutInstructions} distinct held-out instructions`);
      const { item, kind } = drawInstruction(rng);
      if ((taken.get(kind.id) ?? 0) >= caps.get(kind.id)! || heldInstrKeys.has(item.key)) continue;
      heldInstrKeys.add(item.key);
      taken.set(kind.id, (taken.get(kind.id) ?? 0) + 1);
      heldInstr.push(item);
    }
  }
  // A transformation's argument (a sentence, a word) held out under one kind is held out under all:
  // "Rewrite in lower case: THE CAT ..." would show the upper case of a held-out "the cat ...".
  const argOf = (d: { item: { key: string }; kind: InstructionKind }): string => d.item.key.slice(d.kind.id.length + 1);
  const heldArgs = new Set<string>();
  for (const it of heldInstr) {
    const kind = INSTRUCTION_KINDS.find((k) => k.id === it.kind)!;
    if (!kind.knowledge) heldArgs.add(argOf({ item: { key: it.key! }, kind }));
  }
  /** Whether a drawn item may appear in training (SFT conversation or pretraining statement). */
  const instructionAllowed = (d: { item: { key: string }; kind: InstructionKind }): boolean =>
    !heldInstrKeys.has(d.item.key) && (d.kind.knowledge || !heldArgs.has(argOf(d)));

  const trainMathKeys = new Set<string>(),
    trainMathSteps = new Set<string>(),
    trainInstrKeys = new Set<string>();
  const noteMath = (inst: MathInstance): void => {
    trainMathKeys.add(inst.key);
    trainMathSteps.add(inst.stepsKey);
  };

  // ---- SFT: math problems and instructions, each question once
  const nReasoning = Math.round(o.sftConversations * o.reasoningFraction);
  const nInstructions = o.sftConversations - nReasoning;
  const seen = new Set<string>();
  /** count training-side math problems from their own random stream, each question new to `seen`. */
  const drawTrainingMath = (
    stream: string,
    count: number,
    what: string,
    onDrawn: (inst: MathInstance) => void = () => {},
  ): MathProblem[] => {
    const out: MathProblem[] = [];
    const rng = root.fork(stream);
    for (let tries = 0; out.length < count; tries++) {
      if (tries > 100 * (count + 100)) throw new Error(`builtinTask: could not draw ${count} distinct ${what}`);
      const inst = drawMathInstance(rng, d);
      if (!mathAllowed(inst)) continue;
      const p = renderProblem(inst);
      const q = questionKey(p.question);
      if (seen.has(q)) continue;
      seen.add(q);
      onDrawn(inst);
      out.push(p);
    }
    return out;
  };
  const trainMath = drawTrainingMath('sft-math', nReasoning, 'training math problems', noteMath);
  const trainInstr: InstructionItem[] = [];
  {
    const rng = root.fork('sft-instructions');
    let kinds: InstructionKind[] = INSTRUCTION_KINDS.slice();
    const misses = new Map<string, number>();
    for (let tries = 0; trainInstr.length < nInstructions; tries++) {
      if (kinds.length === 0 || tries > 100 * (nInstructions + 100)) {
        throw new Error(`builtinTask: could not draw ${nInstructions} distinct training instructions`);
      }
      const drawn = drawInstruction(rng, kinds);
      const q = questionKey(drawn.item.instruction);
      if (!instructionAllowed(drawn) || seen.has(q)) {
        // a kind whose questions keep repeating is used up: drop it so the others fill the count
        const m = (misses.get(drawn.kind.id) ?? 0) + 1;
        misses.set(drawn.kind.id, m);
        if (m >= 200) kinds = kinds.filter((k) => k !== drawn.kind);
        continue;
      }
      misses.set(drawn.kind.id, 0);
      seen.add(q);
      trainInstrKeys.add(drawn.item.key);
      trainInstr.push(drawn.item);
    }
  }
  const conversations: { conv: SftConversation; index: number }[] = [
    ...trainMath.map((p, i) => ({ conv: chat(p.question, p.solution, 'reasoning'), index: i })),
    ...trainInstr.map((it, i) => ({ conv: chat(it.instruction, it.answer, 'non-reasoning'), index: i })),
  ];
  root.fork('sft-order').shuffle(conversations);
  const sftConversations = conversations.map((c) => c.conv);
  const orderedMath = conversations.filter((c) => c.conv.kind === 'reasoning').map((c) => trainMath[c.index]!);
  const orderedInstr = conversations.filter((c) => c.conv.kind === 'non-reasoning').map((c) => trainInstr[c.index]!);

  // ---- RL prompts: further training-side math problems, distinct from SFT's questions (own stream,
  // so asking for them changes nothing else)
  const rlMath = drawTrainingMath('rl-math', o.rlMath, 'RL math problems');

  // ---- pretraining documents
  const pretrainDocuments: string[] = [];
  {
    const ctx = {
      rng: root.fork('pretrain'),
      difficulty: d,
      allowMath: mathAllowed,
      allowInstruction: (x: { item: { key: string }; kind: InstructionKind }) => x.kind.knowledge || instructionAllowed(x),
      onMath: noteMath,
      onInstruction: (x: { item: { key: string }; kind: InstructionKind }) => {
        if (!x.kind.knowledge) trainInstrKeys.add(x.item.key);
      },
    };
    while (pretrainDocuments.length < o.pretrainDocuments) {
      const doc = pretrainDocument(ctx);
      if (doc.length > 0) pretrainDocuments.push(doc);
    }
  }

  return {
    pretrainDocuments,
    sftConversations,
    heldOutMath: heldMath,
    heldOutInstructions: heldInstr,
    rlMath,
    tokenizerCorpus: function* () {
      yield* pretrainDocuments;
      for (const c of sftConversations) for (const m of c.messages) yield m.content;
    },
    options: Object.freeze({ ...o }),
    trainMath: orderedMath,
    trainInstructions: orderedInstr,
    trainingKeys: { math: trainMathKeys, mathSteps: trainMathSteps, instructions: trainInstrKeys },
  };
}

function chat(user: string, assistant: string, kind: SftConversation['kind']): SftConversation {
  const messages: ChatMessage[] = [
    { role: 'user', content: user },
    { role: 'assistant', content: assistant },
  ];
  return { messages, kind };
}

export interface BuiltinDataFiles {
  pretrain: string;
  sft: string;
  /** Written only when the task has RL problems. */
  rlMath: string | null;
  heldOutMath: string;
  heldOutInstructions: string;
}

/**
 * Write the task as JSONL files in `dir` (created if missing), one object per line, so trainers
 * read them like any user dataset: pretrain.jsonl {"text"}, sft.jsonl {"messages"},
 * heldout_math.jsonl {question, answer, solution, steps, kind, template, key, stepsKey},
 * heldout_instructions.jsonl {instruction, answer, kind, key, members?, count?}, and with RL problems
 * rl_math.jsonl {question, answer, …} (the GRPO prompts).
 */
export function writeBuiltinData(dir: string, task: BuiltinTask): BuiltinDataFiles {
  mkdirSync(dir, { recursive: true });
  const files: BuiltinDataFiles = {
    pretrain: join(dir, 'pretrain.jsonl'),
    sft: join(dir, 'sft.jsonl'),
    rlMath: task.rlMath.length ? join(dir, 'rl_math.jsonl') : null,
    heldOutMath: join(dir, 'heldout_math.jsonl'),
    heldOutInstructions: join(dir, 'heldout_instructions.jsonl'),
  };
  const jsonl = (rows: readonly unknown[]): string => rows.map((r) => JSON.stringify(r) + '\n').join('');
  writeFileSync(files.pretrain, jsonl(task.pretrainDocuments.map((text) => ({ text }))));
  writeFileSync(files.sft, jsonl(task.sftConversations.map((c) => ({ messages: c.messages }))));
  writeFileSync(files.heldOutMath, jsonl(task.heldOutMath));
  if (files.rlMath) writeFileSync(files.rlMath, jsonl(task.rlMath));
  writeFileSync(files.heldOutInstructions, jsonl(task.heldOutInstructions));
  return files;
}

/** Draw `count` problems of one kind (for inspection and tests; no split applied). */
export function sampleMathKind(kindId: string, count: number, seed = 0, difficulty: Difficulty = 1): MathProblem[] {
  const kind = KINDS.find((k) => k.id === kindId);
  if (!kind) throw new RangeError(`sampleMathKind: unknown kind '${kindId}' (known: ${KINDS.map((k) => k.id).join(', ')})`);
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => renderProblem(drawKindInstance(rng, kind, difficulty)));
}
