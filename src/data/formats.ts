// What a row means: TRL's dataset formats, normalised into one Example type.
//   { text }                               language modelling on the whole text
//   { prompt, completion }                 strings, or conversational lists of {role, content}
//   { messages: [{role, content}, ...] }   roles system | user | assistant; system only first
//   { conversations: [{from, value}] }     ShareGPT: human → user, gpt → assistant, system
// When a row has several, the first of messages, conversations, prompt/completion, text wins. A
// field that is null counts as absent (Parquet files have every column in every row). Extra
// columns are ignored here but returned with the example. Wrong types, unknown roles, empty
// conversations and conversations without an assistant turn are DataErrors naming the field
// (e.g. `messages[2].role`), and so is a row with nothing to train on: a text or completion that is
// empty or only whitespace, a conversation whose assistant turns are all empty (no content, no
// reasoning_content, no tool_calls). An empty prompt is allowed (unconditioned generation). This
// file knows nothing of tokens (tokenize.ts).
import type { ChatMessage } from '../tokenizer/index.js';
import { DataError, typeName, type RowSource } from './errors.js';
import { isPlainObject } from './readers.js';

export type Example =
  | { kind: 'text'; text: string }
  | { kind: 'prompt_completion'; prompt: string | ChatMessage[]; completion: string | ChatMessage[] }
  | { kind: 'messages'; messages: ChatMessage[] };

export interface ParsedRow {
  example: Example;
  /** The row as read, extra columns included. */
  row: Record<string, unknown>;
}

export const ROLES = ['system', 'user', 'assistant'] as const;
const SHAREGPT_ROLES = new Map([
  ['human', 'user'],
  ['user', 'user'],
  ['gpt', 'assistant'],
  ['assistant', 'assistant'],
  ['system', 'system'],
]);

const present = (row: Record<string, unknown>, key: string): boolean => row[key] !== undefined && row[key] !== null;
const isBlank = (v: unknown): boolean => typeof v !== 'string' || v.trim() === '';
const blankly = (s: string): string => (s === '' ? 'an empty string' : 'only whitespace');

/**
 * A DataError when every assistant turn of `messages` (field `field`, content key `key`) is empty:
 * no text in content and no reasoning_content or tool_calls a template would render.
 */
function requireAssistantText(
  messages: readonly ChatMessage[],
  field: string,
  key: string,
  fail: (detail: string, field?: string) => never,
): void {
  const turns = messages.map((m, i) => ({ m, i })).filter(({ m }) => m.role === 'assistant');
  if (turns.length === 0) return;
  const said = ({ m }: { m: ChatMessage }): boolean =>
    !isBlank(m.content) || !isBlank(m['reasoning_content']) || (Array.isArray(m['tool_calls']) && m['tool_calls'].length > 0);
  if (turns.some(said)) return;
  const first = turns[0]!;
  fail(
    `is ${blankly(first.m.content)}${turns.length > 1 ? ` (as are all ${turns.length} assistant turns)` : ' (the only assistant turn)'}: nothing to train on`,
    `${field}[${first.i}].${key}`,
  );
}

/** The Example a row holds, or a DataError saying which field is wrong. */
export function parseExample(row: Record<string, unknown>, source: RowSource): ParsedRow {
  const fail = (detail: string, field?: string): never => {
    throw new DataError(source.file, source.line, detail, field);
  };
  if (present(row, 'messages')) {
    return { example: { kind: 'messages', messages: parseMessages(row['messages'], 'messages', fail, true) }, row };
  }
  if (present(row, 'conversations')) {
    return { example: { kind: 'messages', messages: parseShareGpt(row['conversations'], fail) }, row };
  }
  if (present(row, 'prompt') || present(row, 'completion')) {
    if (!present(row, 'prompt')) fail("is missing (a row with 'completion' needs 'prompt')", 'prompt');
    if (!present(row, 'completion')) fail("is missing (a row with 'prompt' needs 'completion')", 'completion');
    const prompt = row['prompt'];
    const completion = row['completion'];
    if (typeof prompt === 'string') {
      if (typeof completion !== 'string') fail(`must be a string like 'prompt', got ${typeName(completion)}`, 'completion');
      if (isBlank(completion)) fail(`is ${blankly(completion as string)}: nothing to train on`, 'completion');
      return { example: { kind: 'prompt_completion', prompt, completion: completion as string }, row };
    }
    if (!Array.isArray(prompt)) fail(`must be a string or a list of {role, content}, got ${typeName(prompt)}`, 'prompt');
    if (!Array.isArray(completion)) fail(`must be a list of {role, content} like 'prompt', got ${typeName(completion)}`, 'completion');
    const promptMessages = parseMessages(prompt, 'prompt', fail, false);
    const completionMessages = parseMessages(completion, 'completion', fail, true, promptMessages.length);
    return { example: { kind: 'prompt_completion', prompt: promptMessages, completion: completionMessages }, row };
  }
  if (present(row, 'text')) {
    const text = row['text'];
    if (typeof text !== 'string') fail(`must be a string, got ${typeName(text)}`, 'text');
    if (isBlank(text)) fail(`is ${blankly(text as string)}: nothing to train on`, 'text');
    return { example: { kind: 'text', text: text as string }, row };
  }
  const columns = Object.keys(row).filter((k) => present(row, k));
  return fail(
    "has no training fields: expected 'text', 'prompt' + 'completion', 'messages' or 'conversations' " +
      `(columns: ${columns.length === 0 ? 'none' : columns.join(', ')})`,
  );
}

/**
 * A list of {role, content} messages. `offset` is the number of messages before this list in the
 * whole conversation (a completion follows its prompt): a system message is only allowed first.
 */
function parseMessages(
  value: unknown,
  field: string,
  fail: (detail: string, field?: string) => never,
  needsAssistant: boolean,
  offset = 0,
): ChatMessage[] {
  if (!Array.isArray(value)) return fail(`must be a list of {role, content}, got ${typeName(value)}`, field);
  if (value.length === 0) return fail('is an empty conversation', field);
  const messages = value.map((m: unknown, i): ChatMessage => {
    const at = `${field}[${i}]`;
    if (!isPlainObject(m)) return fail(`must be an object {role, content}, got ${typeName(m)}`, at);
    const role = m['role'];
    if (typeof role !== 'string') return fail(`must be a string, got ${typeName(role)}`, `${at}.role`);
    if (!(ROLES as readonly string[]).includes(role)) return fail(`'${role}' is not a known role (${ROLES.join(', ')})`, `${at}.role`);
    if (role === 'system' && offset + i > 0) return fail("'system' is only allowed as the first message", `${at}.role`);
    const content = m['content'];
    if (typeof content !== 'string') return fail(`must be a string, got ${typeName(content)}`, `${at}.content`);
    const message: ChatMessage = { role, content };
    // Template-specific fields (reasoning_content, name, ...) pass through; nulls are Parquet's
    // "absent" and would render as text.
    for (const [k, v] of Object.entries(m)) if (k !== 'role' && k !== 'content' && v !== null && v !== undefined) message[k] = v;
    return message;
  });
  if (needsAssistant && !messages.some((m) => m.role === 'assistant')) fail('has no assistant turn: nothing to train on', field);
  if (needsAssistant) requireAssistantText(messages, field, 'content', fail);
  return messages;
}

function parseShareGpt(value: unknown, fail: (detail: string, field?: string) => never): ChatMessage[] {
  const field = 'conversations';
  if (!Array.isArray(value)) return fail(`must be a list of {from, value}, got ${typeName(value)}`, field);
  if (value.length === 0) return fail('is an empty conversation', field);
  const messages = value.map((m: unknown, i): ChatMessage => {
    const at = `${field}[${i}]`;
    if (!isPlainObject(m)) return fail(`must be an object {from, value}, got ${typeName(m)}`, at);
    const from = m['from'];
    if (typeof from !== 'string') return fail(`must be a string, got ${typeName(from)}`, `${at}.from`);
    const role = SHAREGPT_ROLES.get(from);
    if (role === undefined) return fail(`'${from}' is not a known speaker (human, gpt, system)`, `${at}.from`);
    if (role === 'system' && i > 0) return fail("'system' is only allowed as the first message", `${at}.from`);
    const content = m['value'];
    if (typeof content !== 'string') return fail(`must be a string, got ${typeName(content)}`, `${at}.value`);
    return { role, content };
  });
  if (!messages.some((m) => m.role === 'assistant')) fail('has no assistant turn: nothing to train on', field);
  requireAssistantText(messages, field, 'value', fail);
  return messages;
}
