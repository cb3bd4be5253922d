import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError, parseExample } from '../../src/data/index.js';

const SOURCE = { file: 'rows.jsonl', line: 7 };

function fails(row: Record<string, unknown>, field: string | undefined, pattern: RegExp): void {
  assert.throws(
    () => parseExample(row, SOURCE),
    (e: unknown) => {
      assert.ok(e instanceof DataError);
      assert.equal(e.file, 'rows.jsonl');
      assert.equal(e.line, 7);
      assert.equal(e.field, field);
      assert.match(e.message, pattern);
      assert.ok(e.message.startsWith(field === undefined ? 'rows.jsonl:7: ' : `rows.jsonl:7: field '${field}' `), e.message);
      return true;
    },
  );
}

test('TRL formats normalise to one Example type; extra columns come back with the row', () => {
  const row = { text: 'hello', source: 'web', score: 0.5 };
  const parsed = parseExample(row, SOURCE);
  assert.deepEqual(parsed.example, { kind: 'text', text: 'hello' });
  assert.equal(parsed.row, row);
  assert.deepEqual(parseExample({ prompt: 'Q', completion: 'A' }, SOURCE).example, {
    kind: 'prompt_completion',
    prompt: 'Q',
    completion: 'A',
  });
  assert.deepEqual(parseExample({ prompt: '', completion: 'A' }, SOURCE).example, {
    kind: 'prompt_completion',
    prompt: '',
    completion: 'A',
  });
  const messages = [
    { role: 'system', content: 'S' },
    { role: 'user', content: 'U' },
    { role: 'assistant', content: 'A', reasoning_content: 'R', name: null },
  ];
  assert.deepEqual(parseExample({ messages }, SOURCE).example, {
    kind: 'messages',
    messages: [
      { role: 'system', content: 'S' },
      { role: 'user', content: 'U' },
      { role: 'assistant', content: 'A', reasoning_content: 'R' },
    ],
  });
  assert.deepEqual(
    parseExample({ prompt: [{ role: 'user', content: 'U' }], completion: [{ role: 'assistant', content: 'A' }] }, SOURCE).example,
    {
      kind: 'prompt_completion',
      prompt: [{ role: 'user', content: 'U' }],
      completion: [{ role: 'assistant', content: 'A' }],
    },
  );
  // ShareGPT.
  assert.deepEqual(
    parseExample(
      {
        conversations: [
          { from: 'system', value: 'S' },
          { from: 'human', value: 'U' },
          { from: 'gpt', value: 'A' },
        ],
      },
      SOURCE,
    ).example,
    {
      kind: 'messages',
      messages: [
        { role: 'system', content: 'S' },
        { role: 'user', content: 'U' },
        { role: 'assistant', content: 'A' },
      ],
    },
  );
  // Precedence, and null as absent (Parquet rows carry every column).
  assert.equal(
    parseExample(
      {
        text: 'T',
        messages: [
          { role: 'user', content: 'U' },
          { role: 'assistant', content: 'A' },
        ],
      },
      SOURCE,
    ).example.kind,
    'messages',
  );
  assert.equal(
    parseExample({ text: 'T', messages: null, prompt: null, completion: null, conversations: null }, SOURCE).example.kind,
    'text',
  );
});

test('wrong types, unknown roles and empty or assistant-less conversations name the field', () => {
  fails({ prompt: 'Q' }, 'completion', /is missing/);
  fails({ completion: 'A' }, 'prompt', /is missing/);
  fails({ prompt: 'Q', completion: ['A'] }, 'completion', /must be a string like 'prompt', got array/);
  fails({ prompt: 5, completion: 'A' }, 'prompt', /got number/);
  fails({ prompt: [{ role: 'user', content: 'U' }], completion: 'A' }, 'completion', /list of \{role, content\}/);
  fails({ prompt: [{ role: 'user', content: 'U' }], completion: [{ role: 'user', content: 'U' }] }, 'completion', /no assistant turn/);
  fails(
    {
      prompt: [{ role: 'user', content: 'U' }],
      completion: [
        { role: 'system', content: 'S' },
        { role: 'assistant', content: 'A' },
      ],
    },
    'completion[0].role',
    /only allowed as the first message/,
  );
  fails({ text: '' }, 'text', /empty string/);
  fails({ text: ['a'] }, 'text', /must be a string, got array/);
  fails({ messages: 'hi' }, 'messages', /must be a list/);
  fails({ messages: [] }, 'messages', /empty conversation/);
  fails({ messages: [{ role: 'user', content: 'U' }, 'A'] }, 'messages[1]', /must be an object/);
  fails({ messages: [{ content: 'U' }, { role: 'assistant', content: 'A' }] }, 'messages[0].role', /must be a string, got undefined/);
  fails(
    {
      messages: [
        { role: 'user', content: 'U' },
        { role: 'assistant', content: 'A' },
        { role: 'bot', content: 'x' },
      ],
    },
    'messages[2].role',
    /'bot' is not a known role/,
  );
  fails(
    {
      messages: [
        { role: 'user', content: 'U' },
        { role: 'assistant', content: null },
      ],
    },
    'messages[1].content',
    /must be a string, got null/,
  );
  fails(
    {
      messages: [
        { role: 'user', content: 'U' },
        { role: 'system', content: 'S' },
        { role: 'assistant', content: 'A' },
      ],
    },
    'messages[1].role',
    /only allowed as the first/,
  );
  fails(
    {
      messages: [
        { role: 'system', content: 'S' },
        { role: 'user', content: 'U' },
      ],
    },
    'messages',
    /no assistant turn/,
  );
  fails(
    {
      conversations: [
        { from: 'human', value: 'U' },
        { from: 'robot', value: 'A' },
      ],
    },
    'conversations[1].from',
    /'robot' is not a known speaker/,
  );
  fails(
    {
      conversations: [
        { from: 'human', value: 'U' },
        { from: 'constructor', value: 'A' },
      ],
    },
    'conversations[1].from',
    /not a known speaker/,
  );
  fails(
    {
      conversations: [
        { from: 'human', value: 3 },
        { from: 'gpt', value: 'A' },
      ],
    },
    'conversations[0].value',
    /must be a string, got number/,
  );
  fails({ conversations: [{ from: 'human', value: 'U' }] }, 'conversations', /no assistant turn/);
  fails({ id: 1, other: 'x' }, undefined, /no training fields.*columns: id, other/);
});
