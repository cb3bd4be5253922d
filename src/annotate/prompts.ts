// Prompts for the annotation queue from a data file (JSONL, JSON or Parquet, through readRows): each
// row is {messages: [{role, content}, ...]} (system?/user turns, ending with the turn to answer), or
// one of {prompt}, {question}, {instruction} as a single user turn, with an optional {system} string
// before it. An optional string field `kind` (e.g. "writing", "qa") is kept for the annotators.
// Every problem is a DataError naming file, line and field.
import { readRows, DataError, isPlainObject } from '../data/index.js';
import type { QueuePrompt } from './queue.js';

const TEXT_FIELDS = ['prompt', 'question', 'instruction'] as const;

export async function readPrompts(file: string): Promise<QueuePrompt[]> {
  const prompts: QueuePrompt[] = [];
  for await (const row of readRows(file)) {
    const { data, line } = row;
    const fail = (detail: string, field?: string): never => {
      throw new DataError(file, line, detail, field);
    };
    const kind = data['kind'];
    if (kind !== undefined && typeof kind !== 'string') fail('must be a string', 'kind');
    let messages: { role: string; content: string }[];
    if (data['messages'] !== undefined) {
      const raw = data['messages'];
      if (!Array.isArray(raw) || raw.length === 0) fail('must be a non-empty array of {role, content}', 'messages');
      messages = (raw as unknown[]).map((m, i) => {
        if (!isPlainObject(m)) return fail('must be an object {role, content}', `messages[${i}]`);
        if (m['role'] !== 'system' && m['role'] !== 'user' && m['role'] !== 'assistant')
          return fail(`must be system, user or assistant, got ${JSON.stringify(m['role'])}`, `messages[${i}].role`);
        if (typeof m['content'] !== 'string') return fail('must be a string', `messages[${i}].content`);
        return { role: m['role'], content: m['content'] };
      });
      if (messages[messages.length - 1]!.role === 'assistant')
        fail('ends with an assistant turn: a prompt ends with the turn the model answers', 'messages');
    } else {
      const field = TEXT_FIELDS.find((k) => data[k] !== undefined);
      if (field === undefined) return fail(`needs 'messages' or one of ${TEXT_FIELDS.map((k) => `'${k}'`).join(', ')}`);
      const text = data[field];
      if (typeof text !== 'string' || text.trim() === '') fail('must be a non-empty string', field);
      const system = data['system'];
      if (system !== undefined && typeof system !== 'string') fail('must be a string', 'system');
      messages = [...(typeof system === 'string' ? [{ role: 'system', content: system }] : []), { role: 'user', content: text as string }];
    }
    prompts.push({ messages, ...(typeof kind === 'string' ? { kind } : {}), source: { file, line } });
  }
  return prompts;
}
