// Simple non-reasoning instructions for the built-in task, each with one exact reference answer:
// rewriting (upper/lower case, reversing word order), listing (category members, even/odd numbers,
// counting), spelling (letters joined by dashes), and short free-form answers (opposites, colours,
// plurals, animal sounds, number facts, the number after/before n).
//
// Every kind draws an *argument* (a sentence, a word, a number ...) and words it with one of a few
// phrasings. The canonical key is kind|argument, so the same item asked in other words shares it.
// Kinds marked `knowledge` ask for a fact of the world (the opposite of hot, the colour of snow);
// their facts are stated in the pretraining corpus as plain sentences ("The opposite of hot is
// cold."), held-out or not: the held-out check is whether SFT taught the model to answer such
// questions, never the question itself. Kinds that transform their argument (upper case, reverse,
// spell, count) never show a held-out argument's transformation anywhere in training.
import { Rng } from '../../common/rng.js';
import type { InstructionItem } from './types.js';
import {
  ANIMAL_SOUNDS,
  CATEGORIES,
  COLOURS_OF,
  NUMBER_FACTS,
  NUMBER_WORDS,
  OPPOSITES,
  PLURALS,
  SENTENCE_ENDINGS,
  SENTENCE_OBJECTS,
  SENTENCE_SUBJECTS,
  SENTENCE_VERBS,
  WORDS,
} from './world.js';

/** One drawn item plus its plain-prose statement for the pretraining corpus. */
export interface DrawnInstruction {
  item: InstructionItem & { key: string };
  /** The same fact or transformation said as a sentence, no instruction wording. */
  statement: string;
}

export interface InstructionKind {
  id: string;
  /** Relative frequency among non-reasoning items. */
  weight: number;
  /** Distinct keys this kind can produce (Infinity: effectively unbounded). */
  space: number;
  knowledge: boolean;
  draw: (rng: Rng) => DrawnInstruction;
}

const ALL_OPPOSITES: readonly (readonly [string, string])[] = OPPOSITES.flatMap(([a, b]) => [[a, b] as const, [b, a] as const]);
const CATEGORY_NAMES = Object.keys(CATEGORIES);

/** A short lower-case sentence of 3-8 words. */
export function makeSentence(rng: Rng, withEnding = true): string {
  const ending = withEnding ? rng.pick(SENTENCE_ENDINGS) : '';
  return [rng.pick(SENTENCE_SUBJECTS), rng.pick(SENTENCE_VERBS), rng.pick(SENTENCE_OBJECTS), ending].filter(Boolean).join(' ');
}

const numberList = (from: number, step: number, count: number): string =>
  Array.from({ length: count }, (_, i) => String(from + i * step)).join(', ');

function item(
  kind: string,
  arg: string,
  instruction: string,
  answer: string,
  statement: string,
  extra: Partial<InstructionItem> = {},
): DrawnInstruction {
  return { item: { instruction, answer, kind, key: `${kind}|${arg}`, ...extra }, statement };
}

export const INSTRUCTION_KINDS: readonly InstructionKind[] = [
  {
    id: 'uppercase',
    weight: 12,
    space: Infinity,
    knowledge: false,
    draw: (rng) => {
      const s = makeSentence(rng);
      const q = rng.pick(['Rewrite in upper case: ', 'Write this in capital letters: ', 'Convert to upper case: ']) + s;
      return item('uppercase', s, q, s.toUpperCase(), `In capital letters, "${s}" is "${s.toUpperCase()}".`);
    },
  },
  {
    id: 'lowercase',
    weight: 5,
    space: Infinity,
    knowledge: false,
    draw: (rng) => {
      const s = makeSentence(rng);
      const up = s.toUpperCase();
      const q = rng.pick(['Rewrite in lower case: ', 'Write this in small letters: ', 'Convert to lower case: ']) + up;
      return item('lowercase', s, q, s, `In small letters, "${up}" is "${s}".`);
    },
  },
  {
    id: 'reverse-words',
    weight: 12,
    space: Infinity,
    knowledge: false,
    draw: (rng) => {
      const s = makeSentence(rng, rng.chance(0.3));
      const rev = s.split(' ').reverse().join(' ');
      const q = rng.pick(['Reverse the order of the words: ', 'Write these words in reverse order: ', 'Say these words backwards: ']) + s;
      return item('reverse-words', s, q, rev, `The words "${s}" in reverse order are "${rev}".`);
    },
  },
  {
    id: 'spell',
    weight: 12,
    space: WORDS.length,
    knowledge: false,
    draw: (rng) => {
      const w = rng.pick(WORDS);
      const spelled = w.split('').join('-');
      const q = rng.pick([`Spell the word ${w}.`, `Spell ${w} letter by letter.`, `How do you spell ${w}?`]);
      return item('spell', w, q, spelled, `The word ${w} is spelled ${spelled}.`);
    },
  },
  {
    id: 'first-letter',
    weight: 4,
    space: WORDS.length,
    knowledge: false,
    draw: (rng) => {
      const w = rng.pick(WORDS);
      const q = rng.pick([`What is the first letter of ${w}?`, `Which letter does ${w} start with?`]);
      return item('first-letter', w, q, w[0]!, `The word ${w} starts with the letter ${w[0]}.`);
    },
  },
  {
    id: 'count-letters',
    weight: 4,
    space: WORDS.length,
    knowledge: false,
    draw: (rng) => {
      const w = rng.pick(WORDS);
      const q = rng.pick([`How many letters are in the word ${w}?`, `Count the letters in ${w}.`]);
      return item('count-letters', w, q, String(w.length), `The word ${w} has ${w.length} letters.`);
    },
  },
  {
    id: 'list-category',
    weight: 8,
    space: CATEGORY_NAMES.length * 3,
    knowledge: true,
    draw: (rng) => {
      const cat = rng.pick(CATEGORY_NAMES);
      const members = CATEGORIES[cat]!;
      const n = rng.int(2, 4);
      const shown = members.slice(0, n);
      const q = rng.pick([`List ${NUMBER_WORDS[n]} ${cat}.`, `Name ${NUMBER_WORDS[n]} ${cat}.`]);
      return item(
        'list-category',
        `${cat}|${n}`,
        q,
        shown.join(', '),
        `Some ${cat} are ${members.slice(0, -1).join(', ')} and ${members[members.length - 1]}.`,
        { members: members.slice(), count: n },
      );
    },
  },
  {
    id: 'list-numbers',
    weight: 10,
    space: 9 + 9 + 20 * 6,
    knowledge: false,
    draw: (rng) => {
      const which = rng.int(0, 2);
      if (which === 0) {
        const n = rng.int(2, 10),
          list = numberList(2, 2, n);
        const q = rng.pick([`List the first ${n} even numbers.`, `Write the first ${n} even numbers.`]);
        return item('list-numbers', `even|${n}`, q, list, `The first ${n} even numbers are ${list}.`);
      }
      if (which === 1) {
        const n = rng.int(2, 10),
          list = numberList(1, 2, n);
        const q = rng.pick([`List the first ${n} odd numbers.`, `Write the first ${n} odd numbers.`]);
        return item('list-numbers', `odd|${n}`, q, list, `The first ${n} odd numbers are ${list}.`);
      }
      const a = rng.int(1, 20),
        len = rng.int(3, 8),
        b = a + len - 1,
        list = numberList(a, 1, len);
      const q = rng.pick([`Count from ${a} to ${b}.`, `List the numbers from ${a} to ${b}.`]);
      return item('list-numbers', `count|${a}|${b}`, q, list, `Counting from ${a} to ${b} goes ${list}.`);
    },
  },
  {
    id: 'opposite',
    weight: 9,
    space: ALL_OPPOSITES.length,
    knowledge: true,
    draw: (rng) => {
      const [w, o] = rng.pick(ALL_OPPOSITES);
      const q = rng.pick([`What is the opposite of ${w}?`, `Give the opposite of ${w}.`, `What word means the opposite of ${w}?`]);
      return item('opposite', w, q, o, `The opposite of ${w} is ${o}.`);
    },
  },
  {
    id: 'colour',
    weight: 5,
    space: COLOURS_OF.length,
    knowledge: true,
    draw: (rng) => {
      const [thing, colour] = rng.pick(COLOURS_OF);
      const q = rng.pick([`What colour is ${thing}?`, `What is the colour of ${thing}?`]);
      const cap = thing[0]!.toUpperCase() + thing.slice(1);
      return item('colour', thing, q, colour, `${cap} is ${colour}.`);
    },
  },
  {
    id: 'plural',
    weight: 7,
    space: PLURALS.length,
    knowledge: true,
    draw: (rng) => {
      const [one, many] = rng.pick(PLURALS);
      const q = rng.pick([`What is the plural of ${one}?`, `Write the plural of ${one}.`]);
      return item('plural', one, q, many, `The plural of ${one} is ${many}.`);
    },
  },
  {
    id: 'animal-sound',
    weight: 4,
    space: ANIMAL_SOUNDS.length,
    knowledge: true,
    draw: (rng) => {
      const [animal, sound] = rng.pick(ANIMAL_SOUNDS);
      const q = rng.pick([`What sound does a ${animal} make?`, `What does a ${animal} say?`]);
      return item('animal-sound', animal, q, sound, `A ${animal} says ${sound}.`);
    },
  },
  {
    id: 'number-fact',
    weight: 3,
    space: NUMBER_FACTS.length,
    knowledge: true,
    draw: (rng) => {
      const [q, a, statement] = rng.pick(NUMBER_FACTS);
      return item('number-fact', q, q, a, statement);
    },
  },
  {
    id: 'next-number',
    weight: 5,
    space: 2 * 99,
    knowledge: true,
    draw: (rng) => {
      const n = rng.int(1, 99);
      if (rng.chance(0.5)) {
        return item(
          'next-number',
          `after|${n}`,
          rng.pick([`What number comes after ${n}?`, `What is the next number after ${n}?`]),
          String(n + 1),
          `After ${n} comes ${n + 1}.`,
        );
      }
      return item(
        'next-number',
        `before|${n}`,
        rng.pick([`What number comes before ${n}?`, `What is the number just before ${n}?`]),
        String(n - 1),
        `Just before ${n} comes ${n - 1}.`,
      );
    },
  },
];

const WEIGHTS = INSTRUCTION_KINDS.map((k) => k.weight);

/** Draw one instruction item, kind by weight (or from `kinds`, a subset of INSTRUCTION_KINDS). */
export function drawInstruction(
  rng: Rng,
  kinds: readonly InstructionKind[] = INSTRUCTION_KINDS,
): DrawnInstruction & { kind: InstructionKind } {
  const weights = kinds === INSTRUCTION_KINDS ? WEIGHTS : kinds.map((k) => k.weight);
  const kind = kinds[rng.weighted(weights)]!;
  return { ...kind.draw(rng), kind };
}
