// Byte-level BPE training for from-scratch models, GPT-2 / Llama-3 style, written as a Hugging Face
// tokenizer.json that @huggingface/tokenizers, Python `tokenizers` and transformers load.
//   - Text is split around the special tokens, then pre-tokenized with a Split regex (default: the
//     Llama-3 / GPT-4 pattern) by @huggingface/tokenizers' own Split pre-tokenizer, so training
//     sees exactly the pieces that encoding will see.
//   - Each piece is spelled in UTF-8 bytes; the base vocabulary is all 256 bytes (ids 0..255 in
//     byte order, written in the GPT-2 byte-to-unicode alphabet), so any text encodes, unseen
//     characters and emoji included.
//   - Merges are learned greedily by pair frequency (counted over distinct pieces times their
//     counts). Ties go to the pair with the smaller (left id, right id): deterministic. Counts are
//     updated incrementally, only for pieces that contain the merged pair, with a lazy max-heap.
//   - Special tokens get the ids after the learned vocabulary, as added_tokens (special: true).
// vocabSize counts everything: 256 bytes + merges + special tokens. Training stops early when no
// pair occurs minFrequency times; the vocabulary is then smaller than asked (never padded).
// This file knows nothing about models or chat; makeTokenizerConfig writes the matching
// tokenizer_config.json with a ChatML template.
import { SplitPreTokenizerClass, type HFPreTokenizer } from './hf_binding.js';
import { BYTE_TO_CHAR, utf8Bytes } from './byte_level.js';
import type { JsonObject } from './tokenizer.js';

/** Llama-3's pre-tokenizer regex (Oniguruma syntax, as tokenizer.json stores it): contractions,
 *  letter runs with one leading non-letter, 1-3 digit groups, punctuation runs, newlines, spaces. */
export const LLAMA3_SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** The built-in task's pattern: Llama-3's, with every digit its own piece (as Qwen2's splits numbers), every punctuation
 *  mark its own piece too, except that an arithmetic operator stays with the digit after it ("+4",
 *  "*6"). So the blank "c:?-5=?" and the step "c:3-5=5" have the same number of tokens (a step lines
 *  up with its blank), and a step's fact is a lookup of two tokens, the value and "-5" (measured:
 *  with the operator and the operand apart, a 2-layer model did not learn the table in 3,000 steps). */
export const STEP_SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|[-+*]\\p{N}|\\p{N}| ?[^\\s\\p{L}\\p{N}]|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export interface BpeTrainOptions {
  /** Total ids: 256 byte tokens + learned merges + special tokens. */
  vocabSize: number;
  /** A pair must occur at least this often to be merged. Default 2. */
  minFrequency?: number;
  /** Added as special tokens after the learned vocabulary, in this order. */
  specialTokens?: string[];
  /** Split regex in tokenizer.json (Oniguruma) syntax. Default LLAMA3_SPLIT_PATTERN. */
  preTokenizerPattern?: string;
  /** A special token the post_processor prepends when encoding with addSpecialTokens. */
  bosToken?: string;
}

const BYTE_COUNT = 256;
const MAX_VOCAB = 1 << 21; // pair keys (left * vocab + right) stay exact integers

export function trainByteLevelBpe(texts: Iterable<string>, options: BpeTrainOptions): JsonObject {
  const { vocabSize, minFrequency = 2, specialTokens = [], preTokenizerPattern = LLAMA3_SPLIT_PATTERN, bosToken } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < BYTE_COUNT + specialTokens.length || vocabSize > MAX_VOCAB) {
    throw new RangeError(
      `trainByteLevelBpe: vocabSize ${vocabSize} must be an integer in ` +
        `[${BYTE_COUNT + specialTokens.length} (256 bytes + ${specialTokens.length} special tokens), ${MAX_VOCAB}]`,
    );
  }
  if (!Number.isInteger(minFrequency) || minFrequency < 1)
    throw new RangeError(`trainByteLevelBpe: minFrequency ${minFrequency} must be an integer >= 1`);
  if (new Set(specialTokens).size !== specialTokens.length || specialTokens.some((t) => t === '')) {
    throw new RangeError(`trainByteLevelBpe: specialTokens must be distinct non-empty strings, got ${JSON.stringify(specialTokens)}`);
  }
  if (bosToken !== undefined && !specialTokens.includes(bosToken)) {
    throw new RangeError(`trainByteLevelBpe: bosToken ${JSON.stringify(bosToken)} must be one of specialTokens`);
  }
  const splitConfig = { type: 'Split' as const, pattern: { Regex: preTokenizerPattern }, behavior: 'Isolated' as const, invert: false };
  let splitter: HFPreTokenizer;
  try {
    splitter = new SplitPreTokenizerClass(splitConfig);
  } catch (e) {
    throw new RangeError(`trainByteLevelBpe: preTokenizerPattern does not compile: ${(e as Error).message}`);
  }

  const pieceCounts = countPieces(texts, splitter, specialTokens);
  const { tokens, merges } = learnMerges(pieceCounts, vocabSize - specialTokens.length, minFrequency);

  const vocab: Record<string, number> = {};
  tokens.forEach((token, id) => {
    vocab[token] = id;
  });
  const addedTokens = specialTokens.map((content, i) => ({
    id: tokens.length + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: false };
  const postProcessor =
    bosToken === undefined ? { type: 'ByteLevel', ...byteLevel } : bosTemplate(bosToken, tokens.length + specialTokens.indexOf(bosToken));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [splitConfig, { type: 'ByteLevel', ...byteLevel }] },
    post_processor: postProcessor,
    decoder: { type: 'ByteLevel', ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

function bosTemplate(bos: string, id: number): JsonObject {
  const special = (typeId: number) => ({ SpecialToken: { id: bos, type_id: typeId } });
  const sequence = (name: string, typeId: number) => ({ Sequence: { id: name, type_id: typeId } });
  return {
    type: 'TemplateProcessing',
    single: [special(0), sequence('A', 0)],
    pair: [special(0), sequence('A', 0), special(1), sequence('B', 1)],
    special_tokens: { [bos]: { id: bos, ids: [id], tokens: [bos] } },
  };
}

/** Distinct pre-tokenized pieces and how often each occurs; special tokens are cut out first. */
function countPieces(texts: Iterable<string>, splitter: HFPreTokenizer, specialTokens: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  const escaped = [...specialTokens].sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const specialSplit = escaped.length > 0 ? new RegExp(escaped.join('|'), 'g') : undefined;
  let index = 0;
  for (const text of texts) {
    if (typeof text !== 'string') throw new TypeError(`trainByteLevelBpe: text ${index} is ${typeof text}, not a string`);
    index++;
    const segments = specialSplit === undefined ? [text] : text.split(specialSplit);
    for (const segment of segments) {
      if (segment === '') continue;
      for (const piece of splitter.pre_tokenize_text(segment)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
    }
  }
  return counts;
}

interface HeapEntry {
  count: number;
  key: number;
}

/** Max-heap on count, then min on key ((left, right) ids), with stale entries skipped on pop. */
class PairHeap {
  private items: HeapEntry[] = [];
  get size(): number {
    return this.items.length;
  }
  private before(a: HeapEntry, b: HeapEntry): boolean {
    return a.count > b.count || (a.count === b.count && a.key < b.key);
  }
  push(entry: HeapEntry): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }
  pop(): HeapEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1,
          r = l + 1;
        let best = i;
        if (l < items.length && this.before(items[l]!, items[best]!)) best = l;
        if (r < items.length && this.before(items[r]!, items[best]!)) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best]!, items[i]!];
        i = best;
      }
    }
    return top;
  }
}

/** Learn merges until `targetSize` distinct tokens exist or no pair reaches `minFrequency`. */
function learnMerges(pieceCounts: Map<string, number>, targetSize: number, minFrequency: number): { tokens: string[]; merges: string[] } {
  const tokens = BYTE_TO_CHAR.slice();
  const idOfToken = new Map<string, number>(tokens.map((t, i) => [t, i]));
  const merges: string[] = [];
  // Pair key = left * keyBase + right: below 2^30 (a V8 small integer) for vocabularies up to 32k.
  const keyBase = Math.max(targetSize, BYTE_COUNT);
  const words: number[][] = [];
  const wordCounts: number[] = [];
  for (const [piece, count] of pieceCounts) {
    words.push(Array.from(utf8Bytes(piece)));
    wordCounts.push(count);
  }

  const pairCounts = new Map<number, number>();
  // Words that contained the pair when it was listed (may repeat a word, or list one that lost it).
  const wordsWithPair = new Map<number, number[]>();
  const listWord = (key: number, w: number): void => {
    const list = wordsWithPair.get(key);
    if (list === undefined) wordsWithPair.set(key, [w]);
    else if (list[list.length - 1] !== w) list.push(w);
  };
  words.forEach((word, w) => {
    const count = wordCounts[w]!;
    for (let i = 0; i + 1 < word.length; i++) {
      const key = word[i]! * keyBase + word[i + 1]!;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
      listWord(key, w);
    }
  });
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) heap.push({ count, key });

  const visitedAtMerge = new Int32Array(words.length).fill(-1);
  while (tokens.length < targetSize && heap.size > 0) {
    const top = heap.pop()!;
    const current = pairCounts.get(top.key) ?? 0;
    if (current !== top.count) continue; // stale: a fresher entry for this pair is in the heap
    if (current < minFrequency) break;
    const left = Math.floor(top.key / keyBase),
      right = top.key % keyBase;
    const merged = tokens[left]! + tokens[right]!;
    let id = idOfToken.get(merged);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(merged);
      idOfToken.set(merged, id);
    }
    const mergeIndex = merges.length;
    merges.push(`${tokens[left]} ${tokens[right]}`);

    const deltas = new Map<number, number>();
    const add = (l: number, r: number, amount: number): void => {
      const key = l * keyBase + r;
      deltas.set(key, (deltas.get(key) ?? 0) + amount);
    };
    for (const w of wordsWithPair.get(top.key) ?? []) {
      if (visitedAtMerge[w] === mergeIndex) continue;
      visitedAtMerge[w] = mergeIndex;
      // Merge in place, left to right, updating only the pairs around each merged occurrence.
      const word = words[w]!;
      const count = wordCounts[w]!;
      let n = 0;
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === left && word[i + 1] === right) {
          add(left, right, -count);
          if (n > 0) {
            const before = word[n - 1]!;
            add(before, left, -count);
            add(before, id, count);
            listWord(before * keyBase + id, w);
          }
          if (i + 2 < word.length) {
            const after = word[i + 2]!;
            add(right, after, -count);
            add(id, after, count);
            listWord(id * keyBase + after, w);
          }
          word[n++] = id;
          i++;
        } else word[n++] = word[i]!;
      }
      word.length = n;
    }
    wordsWithPair.delete(top.key);
    for (const [key, delta] of deltas) {
      if (delta === 0) continue;
      const count = (pairCounts.get(key) ?? 0) + delta;
      if (count > 0) {
        pairCounts.set(key, count);
        heap.push({ count, key });
      } else pairCounts.delete(key);
    }
  }
  return { tokens, merges };
}

/** ChatML, as Qwen writes it: <|im_start|>{role}\n{content}<|im_end|>\n per message. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** The special tokens CHATML_TEMPLATE writes; a from-scratch vocabulary must contain them. */
export const CHATML_SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

export interface TokenizerConfigOptions {
  bos?: string;
  eos: string;
  pad?: string;
  /** Default CHATML_TEMPLATE. */
  chatTemplate?: string;
  modelMaxLength?: number;
}

/** tokenizer_config.json for a tokenizer.json from trainByteLevelBpe. */
export function makeTokenizerConfig(options: TokenizerConfigOptions): JsonObject {
  if (typeof options.eos !== 'string' || options.eos === '') throw new RangeError('makeTokenizerConfig: eos must be a token string');
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: options.bos ?? null,
    eos_token: options.eos,
    pad_token: options.pad ?? null,
    unk_token: null,
    add_bos_token: false,
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: options.modelMaxLength ?? 1_000_000,
    chat_template: options.chatTemplate ?? CHATML_TEMPLATE,
  };
}
