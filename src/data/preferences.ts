// Preference data for reward models, in TRL's formats: explicit prompt {prompt | question,
// chosen, rejected} with strings (concatenated, EOS appended) or message lists (rendered with the
// chat template), or implicit prompt {chosen, rejected} as whole conversations; an optional
// numeric `margin` column (Llama 2). Each pair becomes two token sequences; pairs longer than
// maxLength are dropped and counted, malformed rows (a chosen or rejected string that is empty or
// only whitespace among them) are DataErrors naming file, line and field.
import type { Tokenizer, ChatMessage } from '../tokenizer/index.js';
import { applyChatTemplate } from '../tokenizer/index.js';
import { readRows } from './readers.js';
import { DataError } from './errors.js';

export interface PreferencePair {
  chosen: number[];
  rejected: number[];
  margin: number;
  source: string;
}

export interface LoadPreferencesResult {
  pairs: PreferencePair[];
  tooLong: number;
}

const isMessages = (v: unknown): v is ChatMessage[] =>
  Array.isArray(v) &&
  v.every(
    (m) =>
      typeof m === 'object' && m !== null && typeof (m as ChatMessage).role === 'string' && typeof (m as ChatMessage).content === 'string',
  );

export async function loadPreferences(
  files: readonly string[],
  tokenizer: Tokenizer,
  o: { maxLength: number; system?: string | null; maxLineBytes?: number; allowControlChars?: boolean },
): Promise<LoadPreferencesResult> {
  const pairs: PreferencePair[] = [];
  let tooLong = 0;
  const system: ChatMessage[] = o.system ? [{ role: 'system', content: o.system }] : [];
  for (const file of files) {
    for await (const row of readRows(file, { maxLineBytes: o.maxLineBytes, allowControlChars: o.allowControlChars })) {
      const d = row.data;
      const bad = (field: string, why: string): never => {
        throw new DataError(row.file, row.line, why, field);
      };
      const prompt = d['prompt'] ?? d['question'];
      const render = (side: 'chosen' | 'rejected'): number[] => {
        const v = d[side];
        if (v === undefined) bad(side, 'is missing (a preference row has chosen and rejected)');
        if (typeof v === 'string') {
          if (v.trim() === '')
            bad(side, `is ${v === '' ? 'an empty string' : 'only whitespace'}: a preference needs an answer on each side`);
          if (prompt === undefined) bad('prompt', `is missing ('${side}' is a string, so the row needs a prompt)`);
          if (isMessages(prompt))
            return tokenizer.encode(applyChatTemplate(tokenizer, [...system, ...prompt, { role: 'assistant', content: v }]));
          if (typeof prompt !== 'string') bad('prompt', 'must be a string or a list of messages');
          return [...tokenizer.encode((prompt as string) + v), ...tokenizer.eosTokenIds.slice(0, 1)];
        }
        if (!isMessages(v)) bad(side, 'must be a string or a list of {role, content} messages');
        const before =
          prompt === undefined
            ? []
            : isMessages(prompt)
              ? prompt
              : typeof prompt === 'string'
                ? [{ role: 'user' as const, content: prompt }]
                : bad('prompt', 'must be a string or a list of messages');
        return tokenizer.encode(applyChatTemplate(tokenizer, [...system, ...before, ...(v as ChatMessage[])]));
      };
      const m = d['margin'];
      if (m !== undefined && m !== null && (typeof m !== 'number' || !Number.isFinite(m)))
        bad('margin', `must be a finite number, got ${JSON.stringify(m)}`);
      const chosen = render('chosen'),
        rejected = render('rejected');
      if (chosen.length > o.maxLength || rejected.length > o.maxLength) {
        tooLong++;
        continue;
      }
      pairs.push({ chosen, rejected, margin: typeof m === 'number' ? m : 0, source: `${row.file}:${row.line}` });
    }
  }
  return { pairs, tooLong };
}
