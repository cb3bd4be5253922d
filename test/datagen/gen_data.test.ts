// gen-data against a scripted teacher behind a real OpenAI-compatible HTTP server on loopback:
// rejection sampling (wrong, malformed, mixed-language, truncated samples dropped; the shortest
// correct kept), both sample types with provenance, decontamination, the original response from
// the teacher without the system prompt, located errors — and a real kill of the CLI process
// mid-run followed by a resume: no row duplicated, none lost.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { generateData, equationsHold } from '../../src/datagen/gen_data.js';
import { resolveConfig } from '../../src/common/schema.js';
import { GEN_DATA_SCHEMA, type GenDataConfig } from '../../src/datagen/gen_config.js';
import { NgramIndex, ngrams } from '../../src/datagen/decontaminate.js';

const dir = mkdtempSync(join(tmpdir(), 'posttrain-gendata-'));
let server: Server,
  url = '',
  requests = 0,
  delayMs = 0;

/** Sample i of a question: 0 long correct, 1 short correct, 2 wrong, 3 malformed (no <think>). */
function answer(question: string, system: boolean, i: number): { text: string; finish: string } {
  const [a, b] = (question.match(/\d+/g) ?? ['0', '0']).map(Number) as [number, number];
  if (question.includes('truncate')) return { text: '<think>\nand so on and so on', finish: 'length' };
  if (question.includes('chinese'))
    return { text: `<think>\n想一想 ${a} 加 ${b} 等于 ${a + b}\n</think>\n\\boxed{${a + b}}`, finish: 'stop' };
  if (!system) return { text: i % 2 === 0 ? `${a} + ${b} = ${a + b}. \\boxed{${a + b}}` : `\\boxed{${a + b + 1}}`, finish: 'stop' };
  const k = i % 4;
  if (question.includes('sloppy') && k === 1)
    return { text: `<think>\n${a} + ${b} = ${a + b + 1}.\n</think>\n\\boxed{${a + b}}`, finish: 'stop' };
  const text =
    k === 0
      ? `<think>\nFirst ${a} plus ${b}. Let me verify carefully: ${a + b} minus ${b} is ${a}. Good.\n</think>\nSo \\boxed{${a + b}}`
      : k === 1
        ? `<think>\n${a} + ${b} = ${a + b}.\n</think>\n\\boxed{${a + b}}`
        : k === 2
          ? `<think>\nguess\n</think>\n\\boxed{${a + b + 2}}`
          : `\\boxed{${a + b}}`;
  return { text, finish: 'stop' };
}

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      requests++;
      const b = JSON.parse(body) as { messages: { role: string; content: string }[]; n?: number };
      const system = b.messages.some((m) => m.role === 'system');
      const question = b.messages.at(-1)!.content;
      const choices = Array.from({ length: b.n ?? 1 }, (_, index) => {
        const a = answer(question, system, index);
        return { index, finish_reason: a.finish, message: { role: 'assistant', content: a.text } };
      });
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            id: 'x',
            object: 'chat.completion',
            created: 0,
            model: 'teacher',
            choices,
            usage: { prompt_tokens: 1, completion_tokens: 5, total_tokens: 6 },
          }),
        );
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const problemsFile = (name: string, rows: object[]) => {
  const f = join(dir, name);
  writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return f;
};
const cfg = (over: Partial<GenDataConfig>) =>
  resolveConfig(
    GEN_DATA_SCHEMA,
    {
      teacher: url,
      teacher_model: 'teacher',
      samples_per_prompt: 4,
      temperature: 1,
      verifier: 'math',
      ...over,
    },
    'test',
    {},
  );
const lines = (f: string) =>
  readFileSync(f, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

test('check_equations drops a right answer reached through a false equation', async () => {
  const prompts = problemsFile('p-sloppy.jsonl', [
    { question: 'sloppy: what is 6 plus 7?', answer: 13, solution: '6 + 7 = 13. \\boxed{13}' },
  ]);
  const loose = await generateData(cfg({ prompts: [prompts], output: join(dir, 'sloppy-loose.jsonl') }), { quiet: true });
  assert.equal(loose.dropped.false_equation, 0);
  assert.equal(
    lines(join(dir, 'sloppy-loose.jsonl'))[1].messages[2].content,
    '<think>\n6 + 7 = 14.\n</think>\n\\boxed{13}',
    'without the check the shortest right answer is kept',
  );
  const strict = await generateData(cfg({ prompts: [prompts], output: join(dir, 'sloppy-strict.jsonl'), check_equations: true }), {
    quiet: true,
  });
  assert.equal(strict.dropped.false_equation, 1);
  assert.equal(strict.outcomes.kept, 1);
  assert.match(
    lines(join(dir, 'sloppy-strict.jsonl'))[1].messages[2].content,
    /Let me verify/,
    'the check keeps the sample whose steps hold',
  );
  assert.equal(equationsHold('2 + 3 = 5, 10 / 4 = 2'), false, 'division must be exact');
  assert.equal(equationsHold('12 * 3 = 36 and 40 - 15 = 25'), true);
});

test('rejection sampling keeps the shortest correct sample; both sample types with provenance; every drop counted', async () => {
  const prompts = problemsFile('p1.jsonl', [
    { question: 'what is 3 plus 4?', answer: 7, solution: '3 + 4 = 7. \\boxed{7}' },
    { question: 'what is 10 plus 5?', answer: 15, solution: '10 + 5 = 15. \\boxed{15}' },
    { question: 'chinese: what is 1 plus 1?', answer: 2, solution: '\\boxed{2}' },
    { question: 'truncate: what is 2 plus 2?', answer: 4, solution: '\\boxed{4}' },
  ]);
  const output = join(dir, 'out1.jsonl');
  const s = await generateData(cfg({ prompts: [prompts], output }), { quiet: true });
  assert.deepEqual(s.outcomes, { kept: 2, no_correct: 2, no_correct_original: 0, contaminated: 0 });
  assert.deepEqual(s.dropped, { truncated: 4, malformed: 2, mixed_language: 4, false_equation: 0, wrong: 2, too_long: 0, unjudged: 0 });
  assert.equal(s.teacherAccuracy, 4 / 16);
  const rows = lines(output);
  assert.equal(rows.length, 4);
  const [orig, teach] = rows as any[];
  assert.equal(orig.sample_type, 'original');
  assert.deepEqual(orig.messages, [
    { role: 'user', content: 'what is 3 plus 4?' },
    { role: 'assistant', content: '3 + 4 = 7. \\boxed{7}' },
  ]);
  assert.equal(teach.sample_type, 'teacher');
  assert.equal(teach.messages[0].role, 'system');
  assert.equal(teach.messages[2].content, '<think>\n3 + 4 = 7.\n</think>\n\\boxed{7}', 'the shorter of the two correct samples');
  assert.equal(teach.problem_id, orig.problem_id);
  assert.equal(teach.answer, 7);
  for (const k of [
    'teacher',
    'source',
    'verifier',
    'samples',
    'correct',
    'keep',
    'temperature',
    'seed',
    'system_prompt_sha256',
    'created_at',
  ])
    assert.ok(k in teach.provenance, k);
  assert.match(teach.provenance.source, /p1\.jsonl:1$/);
  assert.equal(teach.provenance.correct, 2);
  const first = await generateData(cfg({ prompts: [prompts], output: join(dir, 'out1b.jsonl'), keep: 'first' }), { quiet: true });
  assert.equal(first.outcomes.kept, 2);
  assert.match(lines(join(dir, 'out1b.jsonl'))[1].messages[2].content, /Let me verify/, 'keep: first takes the first correct sample');
  const long = await generateData(cfg({ prompts: [prompts], output: join(dir, 'out1c.jsonl'), max_response_tokens: 3, tokenizer: null }), {
    quiet: true,
  });
  assert.equal(long.outcomes.kept, 2, 'lengths unknown for n > 1 without a tokenizer: the limit cannot apply');
});

test('decontamination skips problems that overlap the evaluation set; originals from the teacher without the system prompt', async () => {
  const evalFile = problemsFile('eval.jsonl', [
    { question: 'Tom has 12 apples and gets 30 more. How many apples does Tom have now?', answer: 42 },
  ]);
  const prompts = problemsFile('p2.jsonl', [
    { question: 'Tom has 12 apples and gets 30 more. How many apples does Tom have now?', answer: 42 },
    { question: 'Ann has 5 pears and gets 6 more. How many pears does Ann have now?', answer: 11 },
  ]);
  const output = join(dir, 'out2.jsonl');
  const s = await generateData(cfg({ prompts: [prompts], output, decontaminate: [evalFile], ngram: 5, original_column: null }), {
    quiet: true,
  });
  assert.deepEqual([s.outcomes.contaminated, s.outcomes.kept], [1, 1]);
  const rows = lines(output);
  assert.equal(rows.length, 2);
  assert.equal(rows[0].messages[1].content, '5 + 6 = 11. \\boxed{11}', 'the verified original from the teacher without the system prompt');
  assert.match(rows[0].provenance.original, /without the system prompt/);
  const ledger = lines(`${output}.ledger.jsonl`);
  assert.equal(ledger.find((e: any) => e.status === 'contaminated').overlap, 1);
});

test('n-gram overlap: a copied question is caught, shared template words alone are not', () => {
  const index = new NgramIndex(5);
  index.add('Tom has 12 apples and gets 30 more. How many apples does Tom have now?');
  assert.equal(index.overlap('Tom has 12 apples and gets 30 more. How many apples does Tom have now?'), 1);
  assert.ok(index.overlap('Sam has 7 pears and gets 3 more. How many pears does Sam have now?') < 0.5);
  assert.deepEqual(ngrams('A b', 3), ['a b']);
  assert.deepEqual(ngrams('...', 3), []);
});

test('bad input is refused with file, line and field', async () => {
  const noQuestion = problemsFile('bad1.jsonl', [{ question: 'what is 1 plus 1?', answer: 2, solution: 's' }, { q: 'x' }]);
  await assert.rejects(
    generateData(cfg({ prompts: [noQuestion], output: join(dir, 'bad1.out.jsonl') }), { quiet: true }),
    /bad1\.jsonl:2: field 'question'/,
  );
  const noAnswer = problemsFile('bad2.jsonl', [
    { question: 'what is 1 plus 1?', answer: 2, solution: 's' },
    { question: 'what is 2 plus 2?', solution: 's' },
  ]);
  const asked = requests;
  await assert.rejects(
    generateData(cfg({ prompts: [noAnswer], output: join(dir, 'bad2.out.jsonl') }), { quiet: true }),
    /bad2\.jsonl:2: field 'answer' is missing: verifier 'math' reads it \(1 of 2 problems lack it/,
  );
  assert.equal(requests, asked, 'refused before the teacher was asked anything');
  const noSolution = problemsFile('bad3.jsonl', [{ question: 'what is 1 plus 1?', answer: 2 }]);
  await assert.rejects(
    generateData(cfg({ prompts: [noSolution], output: join(dir, 'bad3.out.jsonl') }), { quiet: true }),
    /bad3\.jsonl:1: field 'solution'/,
  );
  await assert.rejects(
    generateData(cfg({ prompts: [noSolution], output: join(dir, 'bad4.out.jsonl'), teacher_model: null }), { quiet: true }),
    /config field 'teacher': a server URL .* needs the model name/,
  );
});

test('gen-data killed mid-run (SIGKILL of the CLI) and resumed: every problem once, no row duplicated or lost', async () => {
  const rows = Array.from({ length: 24 }, (_, i) => ({
    id: `p${i}`,
    question: `what is ${i} plus ${i + 1}?`,
    answer: 2 * i + 1,
    solution: `${i} + ${i + 1} = ${2 * i + 1}. \\boxed{${2 * i + 1}}`,
  }));
  const prompts = problemsFile('p5.jsonl', rows);
  const output = join(dir, 'out5.jsonl'),
    ledger = `${output}.ledger.jsonl`;
  const config = join(dir, 'gen.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      teacher: url,
      teacher_model: 'teacher',
      prompts: [prompts],
      output,
      samples_per_prompt: 4,
      temperature: 1,
      verifier: 'math',
      prompts_per_batch: 2,
    }),
  );
  delayMs = 40;
  const child = spawn(process.execPath, [join(process.cwd(), 'dist/src/cli/main.js'), 'gen-data', `--config=${config}`], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  for (let t = 0; t < 400 && !(existsSync(ledger) && lines(ledger).length >= 6); t++) await new Promise((r) => setTimeout(r, 25));
  child.kill('SIGKILL');
  await exited;
  delayMs = 0;
  const ledgeredBefore = lines(ledger).length;
  assert.ok(ledgeredBefore >= 6 && ledgeredBefore < 24, `killed mid-run (${ledgeredBefore} problems done)`);
  // a kill can also land between a problem's rows and its ledger line, or mid-line: make both happen
  appendFileSync(output, JSON.stringify({ messages: [], sample_type: 'original', problem_id: 'p23' }) + '\n{"messages": [{"role": "us');
  const before = readFileSync(output, 'utf8');
  const s = await generateData(resolveConfig(GEN_DATA_SCHEMA, JSON.parse(readFileSync(config, 'utf8')), config, {}), { quiet: true });
  assert.equal(s.resumedFrom, ledgeredBefore);
  assert.ok(s.removedOrphanRows >= 1, 'the rows whose ledger line never came are removed (and redone)');
  const entries = lines(ledger);
  assert.equal(entries.length, 24);
  assert.equal(new Set(entries.map((e: any) => e.problem_id)).size, 24, 'each problem once in the ledger');
  const out = lines(output);
  assert.equal(out.length, 48, 'two rows for each of the 24 problems');
  for (const r of rows) {
    const mine = out.filter((o: any) => o.problem_id === r.id);
    assert.deepEqual(
      mine.map((o: any) => o.sample_type),
      ['original', 'teacher'],
      r.id,
    );
  }
  const keptBefore = before
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, 2 * ledgeredBefore)
    .join('\n');
  assert.ok(readFileSync(output, 'utf8').startsWith(keptBefore), 'the rows written before the kill are kept as they were');
  assert.ok(requests > 0);
});
