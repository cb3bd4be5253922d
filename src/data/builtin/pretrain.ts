// The pretraining corpus of the built-in task: plain-text documents (no chat format, no \boxed)
// from the same small world as the SFT data, so a base model learns the language, the facts and
// some arithmetic, but not how to answer a chat turn:
//   story      math stories told as past-tense prose ("Mia had 7 apples. She bought 5 more, so
//              she had 12 apples.")
//   worked     worked problems as plain text: "Problem: ...\nSolution: ... The answer is 9."
//   facts      arithmetic facts in words and symbols ("7 plus 5 is 12.", "3 * 4 = 12.")
//   counting   counting, even/odd numbers, the number after n, number words
//   knowledge  definitions and facts (opposites, colours, plurals, categories, spellings, sounds)
//              and rewriting shown as statements ('In capital letters, "the cat" is "THE CAT".')
//   daily      short everyday narratives with no question in them
// Problems and transformations come from the same generators as the SFT data and pass the same
// held-out filter (`allowMath`, `allowInstruction`), so no held-out problem is told here in any
// wording. Arithmetic facts and world facts are knowledge and are not filtered (see index.ts).
import type { Rng } from '../../common/rng.js';
import type { Difficulty } from './types.js';
import { drawMathInstance, renderProblem, renderStory, RANGES, type MathInstance } from './math.js';
import { drawInstruction, INSTRUCTION_KINDS, makeSentence, type DrawnInstruction, type InstructionKind } from './instructions.js';
import { BOX_COLOURS, CATEGORIES, NUMBER_WORDS, PEOPLE, THINGS } from './world.js';

/** No pretraining document is longer than this many characters ... */
export const MAX_DOC_CHARS = 320;
/** ... or pre-tokenizer pieces (words, 1-3 digit groups, punctuation marks, the space before a
 *  number, which the Llama-3 split pattern keeps apart): with a ~1.5k-token
 *  byte-level BPE a document then fits a 128-token training sequence. */
export const MAX_DOC_PIECES = 100;

/** Pieces as the Llama-3 pre-tokenizer splits the text: about the token count once a small BPE
 *  has merged the common words (rare words add a few). */
export function countPieces(text: string): number {
  // A loop over char codes (this runs for every sentence of the corpus): letters (and anything
  // non-ASCII) form runs, digits groups of up to 3, every other visible character and every space
  // before a digit count one.
  let n = 0,
    prev = 0,
    digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const cls = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c > 127 ? 1 : c >= 48 && c <= 57 ? 2 : c <= 32 ? 0 : 3;
    if (cls === 1) {
      if (prev !== 1) n++;
    } else if (cls === 2) {
      if (prev !== 2 || digits === 3) {
        n++;
        digits = 0;
      }
      digits++;
      if (i > 0 && text.charCodeAt(i - 1) === 32 && prev === 0) n++;
    } else if (cls === 3) n++;
    prev = cls;
  }
  return n;
}

export interface PretrainContext {
  rng: Rng;
  difficulty: Difficulty;
  allowMath: (inst: MathInstance) => boolean;
  allowInstruction: (drawn: DrawnInstruction & { kind: InstructionKind }) => boolean;
  /** Told about every problem / transformation item that went into a document. */
  onMath?: (inst: MathInstance) => void;
  onInstruction?: (drawn: DrawnInstruction & { kind: InstructionKind }) => void;
}

/** The next sentence of a document; null: none this time (filtered), END: the document is done. */
type Sentence = () => string | null;
const END = '\u0000end';

const DOC_TYPES: readonly { id: string; weight: number; make: (c: PretrainContext) => Sentence }[] = [
  {
    id: 'story',
    weight: 28,
    make: (c) => () => {
      const i = allowedMath(c);
      return i && renderStory(i);
    },
  },
  {
    id: 'worked',
    weight: 18,
    make: (c) => () => {
      const i = allowedMath(c);
      return i && workedProblem(i);
    },
  },
  { id: 'facts', weight: 20, make: (c) => arithmeticFacts(c) },
  { id: 'counting', weight: 8, make: (c) => counting(c) },
  { id: 'knowledge', weight: 18, make: (c) => knowledge(c) },
  { id: 'daily', weight: 8, make: (c) => daily(c) },
];

/** One document: sentences of one type until a random target length (≤ MAX_DOC_CHARS and MAX_DOC_PIECES). */
export function pretrainDocument(c: PretrainContext): string {
  const type = DOC_TYPES[c.rng.weighted(DOC_TYPES.map((t) => t.weight))]!;
  const next = type.make(c);
  const target = c.rng.int(80, 280);
  const sep = type.id === 'worked' ? '\n\n' : ' ';
  const parts: string[] = [];
  let length = 0,
    pieces = 0;
  for (let tries = 0; tries < 40 && length < target; tries++) {
    const s = next();
    if (s === null) continue;
    if (s === END) break;
    const joined = length + (parts.length > 0 ? sep.length : 0) + s.length;
    const morePieces = countPieces(s);
    if (joined > MAX_DOC_CHARS || pieces + morePieces > MAX_DOC_PIECES) {
      if (parts.length > 0) break;
      continue;
    }
    parts.push(s);
    length = joined;
    pieces += morePieces;
  }
  return parts.join(sep);
}

function allowedMath(c: PretrainContext): MathInstance | null {
  const inst = drawMathInstance(c.rng, c.difficulty);
  if (!c.allowMath(inst)) return null;
  c.onMath?.(inst);
  return inst;
}

/** "Problem: <question>\nSolution: <steps> The answer is N." (no \boxed: that is the SFT format). */
function workedProblem(inst: MathInstance): string {
  const p = renderProblem(inst);
  const steps = p.solution.replace(/\s*\\boxed\{[^}]*\}\s*$/, '');
  return `Problem: ${p.question}\nSolution: ${steps} The answer is ${p.answer}.`;
}

function arithmeticFacts(c: PretrainContext): Sentence {
  const { rng } = c;
  const r = RANGES[c.difficulty];
  const mode = rng.int(0, 3);
  const symbols = rng.chance(0.5);
  const fixed = rng.chance(0.5); // a table for one number, or mixed facts
  const base = mode < 2 ? rng.int(1, r.add) : rng.int(2, r.mulBig);
  let i = rng.int(1, 3);
  return () => {
    if (fixed && i > 12) return END;
    const other = fixed ? i++ : mode < 2 ? rng.int(1, r.add) : rng.int(1, Math.max(10, r.mulSmall));
    const a = fixed ? base : mode < 2 ? rng.int(1, r.add) : rng.int(2, r.mulBig);
    switch (mode) {
      case 0:
        return symbols ? `${a} + ${other} = ${a + other}.` : `${a} plus ${other} is ${a + other}.`;
      case 1: {
        // a table counts down from one number (20 - 1, 20 - 2, ...); mixed facts are random pairs
        const big = fixed ? a + 12 : a + other,
          res = big - other;
        return symbols ? `${big} - ${other} = ${res}.` : `${big} minus ${other} is ${res}.`;
      }
      case 2:
        return symbols ? `${a} * ${other} = ${a * other}.` : `${a} times ${other} is ${a * other}.`;
      default: {
        const big = a * other;
        return symbols ? `${big} / ${a} = ${other}.` : `${big} divided by ${a} is ${other}.`;
      }
    }
  };
}

const NUMBER_KINDS = INSTRUCTION_KINDS.filter((k) => k.id === 'list-numbers' || k.id === 'next-number');
const STATEMENT_KINDS = INSTRUCTION_KINDS.filter((k) => !NUMBER_KINDS.includes(k));

function statement(c: PretrainContext, kinds: readonly InstructionKind[]): string | null {
  const drawn = drawInstruction(c.rng, kinds);
  if (!c.allowInstruction(drawn)) return null;
  c.onInstruction?.(drawn);
  return drawn.statement;
}

function counting(c: PretrainContext): Sentence {
  const { rng } = c;
  return () => {
    if (rng.chance(0.25)) {
      const n = rng.int(0, NUMBER_WORDS.length - 1);
      const word = NUMBER_WORDS[n]!;
      return `${word[0]!.toUpperCase()}${word.slice(1)} is written ${n}.`;
    }
    return statement(c, NUMBER_KINDS);
  };
}

const SINGULAR: Readonly<Record<string, string>> = {
  fruits: 'a fruit',
  colours: 'a colour',
  animals: 'an animal',
  vegetables: 'a vegetable',
  shapes: 'a shape',
  birds: 'a bird',
  drinks: 'a drink',
  days: 'a day of the week',
};

function knowledge(c: PretrainContext): Sentence {
  const { rng } = c;
  return () => {
    if (rng.chance(0.2)) {
      const cat = rng.pick(Object.keys(CATEGORIES));
      const member = rng.pick(CATEGORIES[cat]!);
      const article = cat === 'days' || cat === 'colours' || cat === 'drinks' ? '' : /^[aeiou]/.test(member) ? 'An ' : 'A ';
      const name = article ? member : member[0]!.toUpperCase() + member.slice(1);
      return `${article}${name} is ${SINGULAR[cat]}.`;
    }
    return statement(c, STATEMENT_KINDS);
  };
}

function daily(c: PretrainContext): Sentence {
  const { rng } = c;
  const person = rng.pick(PEOPLE);
  const friend = rng.pick(PEOPLE.filter((p) => p !== person));
  const thing = rng.pick(THINGS);
  const colour = rng.pick(BOX_COLOURS);
  const said = new Set<string>();
  return () => {
    if (said.size === 0) {
      const s = `${person.name} and ${friend.name} went to ${rng.pick(['the park', 'the shop', 'the farm', 'the beach', 'school', 'the garden'])}.`;
      said.add(s);
      return s;
    }
    const s = sentence();
    if (said.has(s)) return null;
    said.add(s);
    return s;
  };
  function sentence(): string {
    switch (rng.int(0, 3)) {
      case 0: {
        const n = rng.int(2, 12);
        return `${rng.pick([person, friend]).name} had ${n} ${thing.many}.`;
      }
      case 1:
        return `The ${thing.one} was ${colour}.`;
      case 2: {
        const s = makeSentence(rng);
        return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
      }
      default:
        return `${rng.pick([person, friend]).name} ${rng.pick(['was happy', 'smiled', 'laughed', 'went home', 'ate lunch', 'sang a song'])}.`;
    }
  }
}
