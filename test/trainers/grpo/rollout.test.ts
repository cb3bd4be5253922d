// GRPO's sampling side without a model: the built-in rewards on dataset rows, batch fitting to G,
// and prompt loading (formats, chat template, truncation to the last tokens).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fitGroups, loadPrompts } from '../../../src/trainers/grpo/rollout.js';
import { BUILTIN_REWARDS } from '../../../src/rewards/registry.js';
import { Tokenizer } from '../../../src/tokenizer/index.js';
import { makeSftSetup } from '../../helpers/sft_setup.js';

const setup = makeSftSetup(8);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
const score = (name: string, completion: string, example: Record<string, unknown>) =>
  BUILTIN_REWARDS[name]!({ prompt: 'p', completion, example });

test('built-in rewards: math against the answer column, steps against the question, boxed; null where a row cannot be judged', async () => {
  assert.equal(await score('math', 'So 3 + 4 = 7. \\boxed{7}', { answer: 7 }), 1);
  assert.equal(await score('math', 'So 3 + 4 = 8. \\boxed{8}', { answer: '7' }), 0);
  assert.equal(await score('math', '\\boxed{7}', {}), null, 'no answer column: cannot judge');
  assert.equal(await score('steps', '3 + 4 = 7. \\boxed{7}', { question: 'What is 3 plus 4?' }), 1);
  assert.equal(await score('steps', '3 + 5 = 8.', { question: 'What is 3 plus 4?' }), 2 / 3);
  assert.equal(await score('boxed', 'no box', {}), 0);
  assert.equal(await score('format', '<think>a</think> b', {}), 1);
});

test('built-in code reward: the tests column runs in the sandbox; the pass fraction is the reward', async () => {
  const tests = [
    { kind: 'stdio', input: '1 2\n', output: '3\n' },
    { kind: 'stdio', input: '5 5\n', output: '10\n' },
    { kind: 'stdio', input: '1 1\n', output: '3\n' },
  ];
  const good = '```python\na, b = map(int, input().split())\nprint(a + b)\n```';
  assert.equal(await score('code', good, { tests }), 2 / 3);
  assert.equal(await score('code', '```python\nprint(10)\n```', { tests, language: 'python' }), 1 / 3);
  assert.equal(await score('code', good, {}), null);
});

test('a generation batch that does not divide by G is fitted to whole groups, with a note', () => {
  const fit = (
    prompts_per_step: number,
    generation_batch_size: number,
    num_generations: number,
    per_device_train_batch_size = 16,
    gradient_accumulation_steps = 4,
  ) => fitGroups({ prompts_per_step, generation_batch_size, num_generations, per_device_train_batch_size, gradient_accumulation_steps });
  assert.deepEqual(fit(8, 0, 4), { groups: 8, note: null });
  assert.deepEqual(fit(8, 32, 8), { groups: 4, note: null }, 'generation_batch_size wins');
  assert.deepEqual(fit(0, 32, 8), { groups: 4, note: null });
  assert.equal(fit(0, 10, 4).groups, 3);
  assert.match(fit(0, 10, 4).note!, /generation_batch_size 10 is not a multiple of num_generations 4: using 3 groups = 12 completions/);
  assert.equal(fit(0, 3, 8).groups, 1, 'at least one group');
  assert.deepEqual(fit(0, 0, 8), { groups: 8, note: null }, 'TRL: per_device_train_batch_size × gradient_accumulation_steps completions');
  assert.deepEqual(fit(0, 0, 8, 8, 1), { groups: 1, note: null }, "TRL's defaults: one prompt of 8");
});

test('prompts: messages (assistant turns dropped), prompt strings, questions; long prompts keep their last tokens', async () => {
  const file = join(setup.dir, 'p.jsonl');
  writeFileSync(
    file,
    [
      {
        messages: [
          { role: 'user', content: 'hello there' },
          { role: 'assistant', content: 'gone' },
        ],
      },
      { prompt: 'plain text prompt' },
      { question: 'what is one plus one', answer: 2 },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  const tok = Tokenizer.fromDir(setup.tokDir);
  const rows = await loadPrompts([file], tok, 'be brief');
  assert.equal(rows.length, 3);
  assert.ok(rows[0]!.text.includes('hello there') && rows[0]!.text.includes('be brief') && !rows[0]!.text.includes('gone'));
  assert.equal(rows[1]!.text, 'plain text prompt');
  assert.equal(rows[2]!.example['answer'], 2);
  const cut = await loadPrompts([file], tok, null, 3);
  cut.forEach((r, i) => assert.deepEqual(r.ids, tok.encode(r.text).slice(-3), `row ${i}`));
});

test('prompt rows that ask nothing, or hold control characters, are refused with file, line and field', async () => {
  const tok = Tokenizer.fromDir(setup.tokDir);
  const write = (name: string, rows: object[]) => {
    const f = join(setup.dir, name);
    writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return f;
  };
  const blank = write('blank.jsonl', [{ question: 'fine' }, { question: '  ' }]);
  await assert.rejects(loadPrompts([blank], tok, null), /blank\.jsonl:2: field 'question' is blank: the row asks nothing/);
  const emptyChat = write('empty-chat.jsonl', [{ messages: [{ role: 'user', content: '' }] }]);
  await assert.rejects(loadPrompts([emptyChat], tok, 'sys'), /empty-chat\.jsonl:1: field 'messages' is blank/);
  const nul = write('nul.jsonl', [{ prompt: 'a\u0000b' }]);
  await assert.rejects(loadPrompts([nul], tok, null), /nul\.jsonl:1: field 'prompt' holds the control character U\+0000/);
  assert.equal((await loadPrompts([nul], tok, null, 0, { allowControlChars: true })).length, 1);
});
