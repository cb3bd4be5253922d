// Where the assistant turns are in a rendered conversation, as character spans, and which tokens
// those spans cover. Two ways to find the spans:
//   generation markers: the template wraps trained text in {% generation %}...{% endgeneration %};
//     we turn the tags into sentinel characters, render, and read the sentinels' positions;
//   prefix renders: turn k starts where render(messages[:k], add_generation_prompt) ends, and ends
//     after the first end-of-turn token that follows (without one: where message k+1 begins).
// Mapping spans to tokens uses exact byte offsets for byte-level tokenizers, else re-encodes the
// text before each boundary and checks that it is a prefix of the whole encoding. A boundary
// inside a token is an error, never a guess.
// This file knows nothing about Jinja: it is handed render functions.
import type { Tokenizer } from './tokenizer.js';
import type { ChatMessage } from './messages.js';
import { utf8Bytes, utf8LengthOfPrefix } from './byte_level.js';

/** [start, end) in UTF-16 units of the rendered text; `turn` is the message index when known. */
export interface CharSpan {
  start: number;
  end: number;
  turn?: number;
}

type Fail = (detail: string) => never;

const GENERATION_TAG = /{%(-?)\s*(end)?generation\s*(-?)%}/g;
const OPEN = '\uE000';
const CLOSE = '\uE001';

export function hasGenerationMarkers(source: string): boolean {
  return /{%-?\s*generation\s*-?%}/.test(source);
}

/** Replace the generation tags by statements that print a sentinel, keeping the tags' whitespace
 *  control: the first `{%` still gets lstrip_blocks, the last `%}` trim_blocks and `-` modifiers. */
export function markGenerationBlocks(source: string): string {
  return source.replace(
    GENERATION_TAG,
    (_tag, left: string, end: string | undefined, right: string) =>
      `{%${left} set __posttrain_generation = 0 %}{{ '${end ? CLOSE : OPEN}' }}{% set __posttrain_generation = 0 ${right}%}`,
  );
}

export function spansFromGenerationMarkers(
  source: string,
  renderSource: (source: string, messages: readonly ChatMessage[]) => string,
  messages: readonly ChatMessage[],
  fail: Fail,
): { text: string; spans: CharSpan[] } {
  if (JSON.stringify(messages).match(/[\uE000\uE001]/)) fail('messages contain U+E000/U+E001, reserved as generation sentinels');
  const marked = renderSource(markGenerationBlocks(source), messages);
  let text = '';
  const spans: CharSpan[] = [];
  let openAt = -1;
  for (const ch of marked) {
    if (ch === OPEN) {
      if (openAt >= 0) fail('a {% generation %} block opens inside another');
      openAt = text.length;
    } else if (ch === CLOSE) {
      if (openAt < 0) fail('{% endgeneration %} without an open {% generation %}');
      if (text.length > openAt) spans.push({ start: openAt, end: text.length });
      openAt = -1;
    } else text += ch;
  }
  if (openAt >= 0) fail('a {% generation %} block is never closed');
  const plain = renderSource(source, messages);
  if (plain !== text) fail('rendering with generation sentinels changed the text around them (whitespace control?)');
  return { text, spans };
}

/** The first special token the template writes after an assistant message's content. */
export function detectEndOfTurnTokens(
  tokenizer: Tokenizer,
  render: (messages: readonly ChatMessage[], addGenerationPrompt: boolean) => string,
): string[] {
  const probe = 'posttrain end-of-turn probe 7f3a';
  let text: string;
  try {
    text = render(
      [
        { role: 'user', content: 'Hi.' },
        { role: 'assistant', content: probe },
      ],
      false,
    );
  } catch {
    return eosStrings(tokenizer);
  }
  const at = text.indexOf(probe);
  if (at < 0) return eosStrings(tokenizer);
  const after = text.slice(at + probe.length);
  let best: string | undefined;
  let bestAt = Infinity;
  for (const id of tokenizer.specialTokenIds) {
    const token = tokenizer.addedTokenText(id);
    if (token === undefined || token === '') continue;
    const where = after.indexOf(token);
    if (where >= 0 && (where < bestAt || (where === bestAt && token.length > best!.length))) {
      best = token;
      bestAt = where;
    }
  }
  return best === undefined ? eosStrings(tokenizer) : [best];
}

function eosStrings(tokenizer: Tokenizer): string[] {
  return tokenizer.eosTokenIds.map((id) => tokenizer.addedTokenText(id) ?? tokenizer.idToToken(id) ?? '').filter((s) => s !== '');
}

export function spansFromPrefixRenders(
  tokenizer: Tokenizer,
  render: (messages: readonly ChatMessage[], addGenerationPrompt: boolean) => string,
  messages: readonly ChatMessage[],
  fail: Fail,
  endOfTurnTokens?: string[],
): { text: string; spans: CharSpan[] } {
  const text = render(messages, false);
  const turns = messages.flatMap((m, i) => (m.role === 'assistant' ? [i] : []));
  if (turns.length === 0) return { text, spans: [] };
  const closers = endOfTurnTokens ?? detectEndOfTurnTokens(tokenizer, render);
  const starts = turns.map((k) => assistantStart(tokenizer, render, messages, k, text, fail));
  const spans: CharSpan[] = [];
  turns.forEach((k, j) => {
    const start = starts[j]!;
    const limit = j + 1 < turns.length ? starts[j + 1]! : text.length;
    let end = -1;
    for (const closer of closers) {
      const at = text.indexOf(closer, start);
      if (at >= 0 && at + closer.length <= limit && (end < 0 || at + closer.length < end)) end = at + closer.length;
    }
    if (end < 0) {
      // No end-of-turn token: the turn ends where the next message begins. Its trailing separator
      // (e.g. "\n\n") is trained: it is the only stop signal such a template has, and tokenizers
      // often merge it with the content's last characters.
      const through = render(messages.slice(0, k + 1), false);
      if (!text.startsWith(through) || through.length <= start) {
        fail(
          `assistant message ${k}: no end-of-turn token (${closers.join(', ') || 'none known'}) follows its content, ` +
            'and rendering messages up to it is not a prefix of the whole conversation; pass endOfTurnTokens',
        );
      }
      end = through.length;
    }
    if (end > start) spans.push({ start, end, turn: k });
  });
  return { text, spans };
}

/** Where assistant message k's generated text starts in the full rendering. */
function assistantStart(
  tokenizer: Tokenizer,
  render: (messages: readonly ChatMessage[], addGenerationPrompt: boolean) => string,
  messages: readonly ChatMessage[],
  k: number,
  text: string,
  fail: Fail,
): number {
  const before = messages.slice(0, k);
  const prompt = render(before, true);
  if (text.startsWith(prompt)) return prompt.length;
  // Some templates write a shorter header for earlier turns than for the generation prompt (Qwen3
  // with enable_thinking=false adds an empty think block to the prompt only). Then the turn starts
  // after the longest whole-token prefix of the generation prompt that the full text repeats.
  const history = render(before, false);
  if (!text.startsWith(history) || !prompt.startsWith(history)) {
    fail(
      `assistant message ${k}: rendering the ${k} messages before it gives text that is not a prefix of ` +
        `the whole conversation (diverges at character ${commonPrefixLength(prompt, text)}); ` +
        'the template renders earlier turns differently depending on later ones',
    );
  }
  const generationPrompt = prompt.slice(history.length);
  const shared = commonPrefixLength(generationPrompt, text.slice(history.length));
  const promptIds = tokenizer.encode(generationPrompt);
  let header = 0;
  for (let i = 1; i <= promptIds.length; i++) {
    const length = tokenizer.decode(promptIds.slice(0, i)).length;
    if (length > shared) break;
    header = length;
  }
  if (header === 0 && generationPrompt.length > 0) {
    fail(
      `assistant message ${k}: the whole conversation does not repeat any whole token of the generation prompt ` +
        `${JSON.stringify(generationPrompt)} before it`,
    );
  }
  return history.length + header;
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** 0/1 per token: 1 when the token lies inside one of the (sorted, disjoint) spans. */
export function tokenMaskFromCharSpans(
  tokenizer: Tokenizer,
  text: string,
  ids: readonly number[],
  spans: readonly CharSpan[],
  fail: Fail,
): number[] {
  const mask = new Array<number>(ids.length).fill(0);
  if (spans.length === 0) return mask;
  const tokenIndexAt = boundaryLocator(tokenizer, text, ids, fail);
  let previousEnd = 0;
  for (const span of spans) {
    if (span.start < previousEnd || span.end < span.start) fail(`assistant spans overlap or go backwards at character ${span.start}`);
    const first = tokenIndexAt(span.start, span, 'start');
    const last = tokenIndexAt(span.end, span, 'end');
    for (let i = first; i < last; i++) mask[i] = 1;
    previousEnd = span.end;
  }
  return mask;
}

/** Returns a function: character index of `text` → index of the token starting there. */
function boundaryLocator(
  tokenizer: Tokenizer,
  text: string,
  ids: readonly number[],
  fail: Fail,
): (charIndex: number, span: CharSpan, which: string) => number {
  const describe = (charIndex: number, span: CharSpan, which: string): string =>
    `${span.turn === undefined ? 'assistant span' : `assistant message ${span.turn}`} ${which} at character ${charIndex} ` +
    `(…${JSON.stringify(text.slice(Math.max(0, charIndex - 20), charIndex))} | ${JSON.stringify(text.slice(charIndex, charIndex + 20))}…)` +
    ' falls inside a token: the tokenizer merges text across the template boundary, so no exact mask exists';
  const offsets = tokenizer.tokenByteOffsets(ids);
  if (offsets !== undefined && offsets[offsets.length - 1] === utf8Bytes(text).length) {
    const tokenAtByte = new Map<number, number>();
    offsets.forEach((offset, i) => {
      if (!tokenAtByte.has(offset)) tokenAtByte.set(offset, i);
    });
    return (charIndex, span, which) => {
      const index = tokenAtByte.get(utf8LengthOfPrefix(text, charIndex));
      if (index === undefined) fail(describe(charIndex, span, which));
      return index!;
    };
  }
  // Not byte-level (or the normalizer changed the text): re-encode the prefix and compare.
  return (charIndex, span, which) => {
    if (charIndex === text.length) return ids.length;
    const prefix = tokenizer.encode(text.slice(0, charIndex));
    const aligned = prefix.length <= ids.length && prefix.every((id, i) => id === ids[i]);
    if (!aligned) fail(describe(charIndex, span, which));
    return prefix.length;
  };
}
