// The data inputs of the malformed-input corpus: JSONL, JSON and Parquet files with one problem each
// (bytes, lines, rows of every format the commands read), a few valid edge cases, and the commands
// that read each. The other kinds of input are in cases.ts.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { every, jsonl, type Case, type Command } from './kit.js';

const chat = (user: string, assistant: string) => ({
  messages: [
    { role: 'user', content: user },
    { role: 'assistant', content: assistant },
  ],
});
const GOOD = chat('what is 1 plus 2?', 'it is 3');
/** A row every reader takes: a conversation (sft, pretrain), a preference pair (rm), a problem (grpo, gen-data, eval), a prompt (generate), a gen-data sample (mix). */
const ANY = {
  ...GOOD,
  prompt: 'what is 1 plus 2?',
  chosen: '3',
  rejected: '4',
  question: 'what is 1 plus 2?',
  answer: '3',
  sample_type: 'teacher',
  problem_id: 'a',
};

/** Writes `content` to dir/data/<file> and returns the path. */
function dataFile(file: string, content: string | Uint8Array): (dir: string) => string {
  return (dir) => {
    mkdirSync(join(dir, 'data'), { recursive: true });
    const p = join(dir, 'data', file);
    writeFileSync(p, content);
    return p;
  };
}
const ALL_ROW_READERS: Command[] = ['sft', 'pretrain', 'rm', 'grpo', 'gen-data', 'eval', 'generate', 'mix'];

export const DATA_CASES: Case[] = [
  // ---- data: bytes and lines -------------------------------------------------------------------
  {
    name: 'jsonl-invalid-json',
    slot: 'data',
    what: 'JSONL whose second line is not JSON',
    build: dataFile('invalid_json.jsonl', jsonl(ANY, '{"messages": [oops')),
    reads: every(ALL_ROW_READERS, { error: /invalid JSON/i, line: 2 }),
  },
  {
    name: 'jsonl-invalid-utf8',
    slot: 'data',
    what: 'JSONL with a 0xFF byte inside a string on line 2',
    build: dataFile(
      'invalid_utf8.jsonl',
      Buffer.concat([Buffer.from(jsonl(ANY) + '{"prompt": "caf'), Buffer.from([0xff]), Buffer.from('", "completion": "ok"}\n')]),
    ),
    reads: every(ALL_ROW_READERS, { error: /UTF-8/, line: 2 }),
  },
  {
    name: 'nul-in-prompt',
    slot: 'data',
    what: 'a prompt string holding a NUL character (escaped \\u0000)',
    build: dataFile('nul_prompt.jsonl', jsonl({ prompt: 'what is\u0000 1+1?', completion: '2', question: 'q', answer: '2' })),
    reads: every(['sft', 'rm', 'grpo', 'gen-data', 'eval', 'generate'], { error: /control character|U\+0000/i, line: 1, field: 'prompt' }),
  },
  {
    name: 'u-fffe-in-content',
    slot: 'data',
    what: 'an assistant content holding U+FFFE (a noncharacter)',
    build: dataFile('fffe.jsonl', jsonl(chat('hi', 'a\ufffeb'))),
    reads: every(['sft', 'generate'], { error: /U\+FFFE/i, line: 1, field: 'messages[1].content' }),
  },
  {
    name: 'lone-surrogate',
    slot: 'data',
    what: 'a string with a lone surrogate escape \\ud800',
    build: dataFile('surrogate.jsonl', '{"prompt": "x\\ud800y", "completion": "z", "question": "x\\ud800y", "answer": "1"}\n'),
    reads: every(['sft', 'grpo', 'eval', 'generate'], { error: /surrogate/i, line: 1, field: 'prompt' }),
  },
  {
    name: 'blank-assistant',
    slot: 'data',
    what: 'a conversation whose only assistant turn is whitespace',
    build: dataFile('blank_assistant.jsonl', jsonl(GOOD, chat('hi', '   '))),
    reads: { sft: { error: /only whitespace.*nothing to train on/, line: 2, field: 'messages[1].content' } },
  },
  {
    name: 'empty-completion',
    slot: 'data',
    what: 'a prompt-completion row with an empty completion',
    build: dataFile('empty_completion.jsonl', jsonl({ prompt: 'say hi', completion: '' })),
    reads: { sft: { error: /empty string/, line: 1, field: 'completion' } },
  },
  {
    name: 'messages-wrong-type',
    slot: 'data',
    what: "'messages' is a string, not a list",
    build: dataFile('messages_string.jsonl', jsonl(GOOD, { messages: 'hello' })),
    reads: {
      ...every(['sft', 'generate'], { error: /must be a list of \{role, content\}, got string/, line: 2, field: 'messages' }),
      'gen-data': { error: /needs 'question', 'problem', 'prompt' or user 'messages'/, line: 2, field: 'question' },
    },
  },
  {
    name: 'unknown-role',
    slot: 'data',
    what: "a message with role 'robot'",
    build: dataFile(
      'unknown_role.jsonl',
      jsonl({
        messages: [
          { role: 'robot', content: 'beep' },
          { role: 'assistant', content: 'ok' },
        ],
      }),
    ),
    reads: { sft: { error: /robot/, line: 1, field: 'messages[0].role' } },
  },
  {
    name: 'system-not-first',
    slot: 'data',
    what: 'a system message after the user turn',
    build: dataFile(
      'system_second.jsonl',
      jsonl({
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'system', content: 'be brief' },
          { role: 'assistant', content: 'ok' },
        ],
      }),
    ),
    reads: { sft: { error: /system/, line: 1, field: 'messages[1].role' } },
  },
  {
    name: 'no-assistant-turn',
    slot: 'data',
    what: 'a conversation with only a user turn',
    build: dataFile('no_assistant.jsonl', jsonl(GOOD, GOOD, { messages: [{ role: 'user', content: 'hi' }] })),
    reads: { sft: { error: /assistant/, line: 3, field: 'messages' } },
  },
  {
    name: 'line-over-max-line-bytes',
    slot: 'data',
    what: 'a 20 MB line (over the 16 MiB default max_line_bytes)',
    build: dataFile('huge_line.jsonl', jsonl(GOOD, { prompt: 'x'.repeat(20 * 1024 * 1024), completion: 'y' })),
    reads: { sft: { error: /line is longer than max_line_bytes 16777216/, line: 2 } },
  },
  {
    name: 'line-over-lowered-max-line-bytes',
    slot: 'data',
    what: 'a 2 kB line, with --max_line_bytes=1024',
    build: dataFile('long_line.jsonl', jsonl(ANY, { prompt: 'x'.repeat(2048), completion: 'y', chosen: 'a', rejected: 'b' })),
    extra: ['--max_line_bytes=1024'],
    reads: every(['sft', 'pretrain', 'rm'], { error: /line is longer than max_line_bytes 1024/, line: 2 }),
  },
  {
    name: 'json-not-array',
    slot: 'data',
    what: 'a .json file holding one object, not an array of rows',
    build: dataFile('object.json', JSON.stringify(GOOD)),
    reads: every(['sft', 'eval'], { error: /expected a JSON array of objects, got object/, line: 1 }),
  },
  {
    name: 'json-syntax-error',
    slot: 'data',
    what: 'a .json array with a missing comma on line 4',
    build: dataFile('syntax.json', '[\n  {"prompt": "a", "completion": "b"},\n  {"prompt": "c",\n   "completion": "d" "x": 1}\n]\n'),
    reads: every(['rm', 'gen-data'], { error: /invalid JSON: Expected ','/, line: 4 }),
  },
  {
    name: 'empty-file',
    slot: 'data',
    what: 'a JSONL file of zero bytes',
    build: dataFile('empty.jsonl', ''),
    reads: { ...every(['sft', 'rm', 'grpo', 'gen-data', 'eval', 'generate'], { error: /empty file/, line: 1 }), mix: 'accepted' },
  },
  {
    name: 'only-blank-lines',
    slot: 'data',
    what: 'a JSONL file of blank and whitespace lines',
    build: dataFile('blank_lines.jsonl', '\n   \n\t\n\n'),
    reads: every(['pretrain', 'generate'], { error: /empty file \(only blank lines\)/, line: 1 }),
  },
  {
    name: 'bom-valid',
    slot: 'data',
    what: 'valid JSONL after a UTF-8 byte-order mark',
    build: dataFile('bom.jsonl', '\ufeff' + jsonl({ ...GOOD, question: 'what is 1 plus 2?', answer: '3', prompt: 'hi' })),
    reads: every(['sft', 'generate', 'eval'], 'accepted'),
  },
  {
    name: 'crlf-valid',
    slot: 'data',
    what: 'valid JSONL with CRLF line endings',
    build: dataFile(
      'crlf.jsonl',
      jsonl({ ...GOOD, question: 'q1', answer: '3' }, { ...GOOD, question: 'q2', answer: '4' }).replace(/\n/g, '\r\n'),
    ),
    reads: every(['sft', 'generate', 'eval'], 'accepted'),
  },
  {
    name: 'parquet-truncated',
    slot: 'data',
    what: 'a valid Parquet file cut to its first half',
    build: (dir) => {
      mkdirSync(join(dir, 'data'), { recursive: true });
      const p = join(dir, 'data', 'truncated.parquet');
      parquetWriteFile({
        filename: p,
        columnData: [
          { name: 'prompt', data: ['say hi', 'say bye', 'count'], type: 'STRING' },
          { name: 'completion', data: ['hi', 'bye', '1 2 3'], type: 'STRING' },
        ],
      });
      const b = readFileSync(p);
      writeFileSync(p, b.subarray(0, Math.floor(b.length / 2)));
      return p;
    },
    reads: every(['sft', 'generate'], { error: /not a readable Parquet file/, line: 1 }),
  },
  {
    name: 'parquet-not-parquet',
    slot: 'data',
    what: 'JSONL text saved as .parquet',
    build: dataFile('not.parquet', jsonl(GOOD)),
    reads: every(['rm', 'eval'], { error: /not a readable Parquet file/, line: 1 }),
  },
  {
    name: 'missing-data-file',
    slot: 'data',
    what: 'a data path that does not exist',
    build: (dir) => join(dir, 'data', 'nowhere.jsonl'),
    reads: every(['sft', 'rm', 'grpo', 'gen-data', 'eval', 'generate', 'mix'], {
      error: /cannot read file: ENOENT: no such file/,
      line: 1,
    }),
  },
  {
    name: 'pretrain-blank-text',
    slot: 'data',
    what: 'a text row whose text is empty',
    build: dataFile('blank_text.jsonl', jsonl({ text: 'some words' }, { text: '' })),
    reads: { pretrain: { error: /empty string/, line: 2, field: 'text' } },
  },
  // ---- data: preference pairs, prompts, problems, gen-data output ------------------------------------
  {
    name: 'preference-missing-rejected',
    slot: 'data',
    what: 'a preference row without rejected',
    build: dataFile('pref_no_rejected.jsonl', jsonl({ prompt: 'p', chosen: 'a', rejected: 'b' }, { prompt: 'p', chosen: 'a' })),
    reads: { rm: { error: /missing/, line: 2, field: 'rejected' } },
  },
  {
    name: 'preference-chosen-blank',
    slot: 'data',
    what: 'a preference row whose chosen is whitespace',
    build: dataFile('pref_blank_chosen.jsonl', jsonl({ prompt: 'p', chosen: ' \n ', rejected: 'b' })),
    reads: { rm: { error: /only whitespace/, line: 1, field: 'chosen' } },
  },
  {
    name: 'grpo-no-answer-column',
    slot: 'data',
    what: "GRPO prompts without the 'answer' column the math reward reads",
    build: dataFile('prompts_no_answer.jsonl', jsonl({ prompt: 'what is 2+2?' }, { prompt: 'what is 3+3?' })),
    reads: { grpo: { error: /answer/, field: 'answer' } },
  },
  {
    name: 'problems-without-question',
    slot: 'data',
    what: 'a problem row with only an answer',
    build: dataFile('problems_no_question.jsonl', jsonl({ question: 'what is 2+2?', answer: '4' }, { answer: '5' })),
    reads: {
      'gen-data': { error: /question/, line: 2, field: 'question' },
      eval: { error: /must be a string/, line: 2, field: 'question' },
      generate: { error: /needs a 'prompt' string or a 'messages' array/, line: 1 },
    },
  },
  {
    name: 'eval-problem-without-answer',
    slot: 'data',
    what: 'an evaluation problem without an answer',
    build: dataFile('problems_no_answer.jsonl', jsonl({ question: 'what is 2+2?', answer: '4' }, { question: 'what is 3+3?' })),
    reads: { eval: { error: /answer/, line: 2, field: 'answer' } },
  },
  {
    name: 'mix-bad-sample-type',
    slot: 'data',
    what: "gen-data output whose sample_type is 'student'",
    build: dataFile(
      'gen_bad_type.jsonl',
      jsonl({ ...GOOD, sample_type: 'teacher', problem_id: 'a' }, { ...GOOD, sample_type: 'student', problem_id: 'b' }),
    ),
    reads: { mix: { error: /field 'sample_type' must be 'teacher' or 'original', got "student"/, line: 2, field: 'sample_type' } },
  },
];
