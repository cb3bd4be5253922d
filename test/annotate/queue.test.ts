// The annotation queue: decisions are durable (they survive reopening and a SIGKILL right after),
// the last decision per item wins, a torn last line of decisions.jsonl is ignored with a warning
// (and cut before the next append) while a bad line elsewhere is an error naming file:line, decide
// refuses unknown ids and malformed decisions, auto-accept marks itself, export keeps accepted and
// edited items with the final text, and filling with a real local model folder resumes without
// asking the model again (also after a failure mid-fill). Prompts files name file:line on errors.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  fillQueue,
  readQueue,
  decide,
  autoAccept,
  exportAccepted,
  promptId,
  AnnotationError,
  DECISIONS_FILE,
  ITEMS_FILE,
  type QueuePrompt,
} from '../../src/annotate/queue.js';
import { readPrompts } from '../../src/annotate/prompts.js';
import { LocalChatBackend, type ChatBackend, type ChatRequest } from '../../src/generation/chat_backend.js';
import { createModel, saveModel } from '../../src/models/index.js';
import { tokenizerFiles } from '../../src/trainers/checkpoint.js';
import { makeSftSetup } from '../helpers/sft_setup.js';

const root = mkdtempSync(join(tmpdir(), 'posttrain-annotate-'));
after(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;
const newDir = () => join(root, `q${folders++}`);

/** A backend that answers "answer to <last turn>" and records what it was asked. */
function echoBackend(): ChatBackend & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    description: 'echo',
    chat: async (r: ChatRequest) => {
      const q = r.messages[r.messages.length - 1]!.content;
      asked.push(q);
      return { texts: [`answer to ${q}`], lengths: [null], finishReasons: ['stop'] };
    },
    dispose: () => {},
  };
}
const user = (q: string): QueuePrompt => ({ messages: [{ role: 'user', content: q }] });

async function queueOf(n: number): Promise<{ dir: string; ids: string[] }> {
  const dir = newDir();
  const prompts = Array.from({ length: n }, (_, i) => user(`question ${i}`));
  await fillQueue(echoBackend(), prompts, dir, { maxTokens: 8, temperature: 0 });
  return { dir, ids: prompts.map((p) => promptId(p.messages)) };
}
const decisionLines = (dir: string) =>
  readFileSync(join(dir, DECISIONS_FILE), 'utf8')
    .split('\n')
    .filter((l) => l !== '');

test('decisions survive reopening, the last one per item wins, and progress counts them', async () => {
  const { dir, ids } = await queueOf(4);
  decide(dir, ids[0]!, 'accept');
  decide(dir, ids[1]!, 'reject');
  decide(dir, ids[1]!, 'edit', 'a better answer');
  decide(dir, ids[2]!, 'edit', 'first edit');
  decide(dir, ids[2]!, 'reject');
  const s = readQueue(dir);
  assert.deepEqual(s.progress, { total: 4, decided: 3, accepted: 1, edited: 1, rejected: 1, undecided: 1 });
  assert.equal(s.decisions[ids[0]!]!.response, 'answer to question 0', 'accept records the model text as final');
  assert.equal(s.decisions[ids[1]!]!.decision, 'edit');
  assert.equal(s.decisions[ids[1]!]!.response, 'a better answer');
  assert.equal(s.decisions[ids[2]!]!.decision, 'reject');
  assert.equal(s.decisions[ids[2]!]!.response, undefined);
  assert.equal(s.decisions[ids[3]!], undefined);
  assert.equal(decisionLines(dir).length, 5, 'the log is append-only: every decision is a line');
  assert.deepEqual(s.warnings, []);
});

test('a SIGKILL right after decide() loses no decision', async () => {
  const { dir, ids } = await queueOf(3);
  const queueJs = resolve(fileURLToPath(import.meta.url), '../../../src/annotate/queue.js');
  const script = `import { decide } from ${JSON.stringify(queueJs)};
    const [dir, a, b] = process.argv.slice(1);
    decide(dir, a, 'accept'); decide(dir, b, 'edit', 'kept after kill');
    process.kill(process.pid, 'SIGKILL');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, dir, ids[0]!, ids[1]!], { encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  const s = readQueue(dir);
  assert.equal(s.decisions[ids[0]!]!.decision, 'accept');
  assert.equal(s.decisions[ids[1]!]!.response, 'kept after kill');
  assert.equal(s.progress.decided, 2);
});

test('a torn last line is ignored with a warning and cut off before the next append', async () => {
  const { dir, ids } = await queueOf(3);
  decide(dir, ids[0]!, 'accept');
  appendFileSync(join(dir, DECISIONS_FILE), '{"id":"' + ids[1] + '","decision":"rej'); // a write cut short by a kill
  const s = readQueue(dir);
  assert.equal(s.progress.decided, 1);
  assert.equal(s.warnings.length, 1);
  assert.match(s.warnings[0]!, /decisions\.jsonl:2: ignoring a torn last line \(no newline/);
  decide(dir, ids[2]!, 'reject');
  const lines = decisionLines(dir);
  assert.equal(lines.length, 2, 'the torn fragment is gone, the new decision is its own line');
  lines.forEach((l) => JSON.parse(l));
  const after = readQueue(dir);
  assert.deepEqual(after.warnings, []);
  assert.equal(after.progress.decided, 2);
  // a complete-looking last line that is not valid JSON (e.g. zero bytes after a crash) is torn too
  appendFileSync(join(dir, DECISIONS_FILE), '\u0000\u0000\u0000\n');
  assert.match(readQueue(dir).warnings[0]!, /decisions\.jsonl:3: ignoring a torn last line \(invalid JSON/);
});

test('a bad line before the last is an error naming file:line', async () => {
  const { dir, ids } = await queueOf(2);
  decide(dir, ids[0]!, 'accept');
  appendFileSync(
    join(dir, DECISIONS_FILE),
    'not json\n' + JSON.stringify({ id: ids[1], decision: 'reject', at: 'x', annotator: 'human' }) + '\n',
  );
  assert.throws(() => readQueue(dir), /decisions\.jsonl:2: .*invalid JSON/);
  const dir2 = (await queueOf(2)).dir;
  writeFileSync(
    join(dir2, DECISIONS_FILE),
    JSON.stringify({ id: ids[0], decision: 'maybe', at: 'x', annotator: 'human' }) +
      '\n' +
      JSON.stringify({ id: ids[0], decision: 'reject', at: 'x', annotator: 'human' }) +
      '\n',
  );
  assert.throws(() => readQueue(dir2), /decisions\.jsonl:1: field 'decision' must be one of accept, edit, reject/);
  const dir3 = (await queueOf(1)).dir;
  appendFileSync(join(dir3, ITEMS_FILE), '{"id": "x"}\n');
  assert.throws(() => readQueue(dir3), /items\.jsonl:2: field 'messages'/);
});

test('decide refuses unknown ids and malformed decisions with clear errors, writing nothing', async () => {
  const { dir, ids } = await queueOf(1);
  const refuses = (f: () => unknown, kind: string, re: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof AnnotationError && e.kind === kind && re.test(e.message));
  refuses(() => decide(dir, 'nope', 'accept'), 'unknown-id', /no item with id 'nope'/);
  refuses(() => decide(dir, ids[0]!, 'edit'), 'invalid', /edit needs the edited response text/);
  refuses(() => decide(dir, ids[0]!, 'edit', '   '), 'invalid', /edit needs the edited response text/);
  refuses(() => decide(dir, ids[0]!, 'maybe' as 'accept'), 'invalid', /decision must be one of accept, edit, reject, got "maybe"/);
  refuses(() => decide(dir, ids[0]!, 'accept', 'different text'), 'invalid', /accept keeps the model's response/);
  refuses(() => decide(dir, ids[0]!, 'reject', 'text'), 'invalid', /reject takes no response/);
  refuses(() => decide(dir, ids[0]!, 'accept', undefined, 'robot' as 'human'), 'invalid', /annotator must be one of human, auto/);
  assert.equal(readQueue(dir).progress.decided, 0);
  assert.throws(() => readQueue(join(root, 'missing')), /missing: no such folder/);
});

test('the automatic annotator never accepts a blank answer or one holding characters the data readers refuse', async () => {
  const dir = newDir();
  const prompts = [user('plain question'), user('question with a bell \u0007')];
  await fillQueue(echoBackend(), prompts, dir, { maxTokens: 8, temperature: 0 });
  assert.deepEqual(autoAccept(dir), { accepted: 1, rejected: 1, alreadyDecided: 0 });
  const out = join(root, 'export-clean.jsonl');
  assert.deepEqual(exportAccepted(dir, out), { rows: 1, accepted: 1, edited: 0, rejected: 1, undecided: 0 });
  assert.doesNotMatch(readFileSync(out, 'utf8'), /\\u0007/);
});

test('autoAccept accepts only undecided items, as annotator auto; export keeps accepted and edited with the final text', async () => {
  const { dir, ids } = await queueOf(5);
  decide(dir, ids[0]!, 'reject');
  decide(dir, ids[1]!, 'edit', 'edited by a person');
  assert.deepEqual(autoAccept(dir), { accepted: 3, rejected: 0, alreadyDecided: 2 });
  assert.deepEqual(autoAccept(dir), { accepted: 0, rejected: 0, alreadyDecided: 5 }, 'a second call has nothing left');
  const s = readQueue(dir);
  assert.equal(s.decisions[ids[2]!]!.annotator, 'auto');
  assert.equal(s.decisions[ids[1]!]!.annotator, 'human');
  const out = join(root, 'export.jsonl');
  const counts = exportAccepted(dir, out);
  assert.deepEqual(counts, { rows: 4, accepted: 3, edited: 1, rejected: 1, undecided: 0 });
  const rows = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(rows.length, 4);
  assert.ok(!rows.some((r) => r.messages[0].content === 'question 0'), 'the rejected item is left out');
  const edited = rows.find((r) => r.messages[0].content === 'question 1');
  assert.deepEqual(edited.messages, [
    { role: 'user', content: 'question 1' },
    { role: 'assistant', content: 'edited by a person' },
  ]);
  assert.deepEqual(
    { decision: edited.annotation.decision, annotator: edited.annotation.annotator },
    { decision: 'edit', annotator: 'human' },
  );
  assert.equal(edited.provenance.model, 'echo');
  const auto = rows.find((r) => r.messages[0].content === 'question 2');
  assert.equal(auto.messages[1].content, 'answer to question 2');
  assert.equal(auto.annotation.annotator, 'auto');
  assert.deepEqual(
    readdirSync(root).filter((f) => f.includes('.tmp-')),
    [],
    'the atomic write leaves no temp file',
  );
});

test('fillQueue with a real local model folder: a second fill asks only new prompts, a failed fill keeps finished chunks', async (t) => {
  const setup = makeSftSetup(8);
  t.after(() => rmSync(setup.dir, { recursive: true, force: true }));
  const modelDir = join(setup.dir, 'generalist');
  const m = createModel(
    {
      model_type: 'llama',
      vocab_size: setup.vocab,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 256,
    },
    { seed: 5 },
  );
  saveModel(m, modelDir, { tokenizerFiles: tokenizerFiles(setup.tokDir) });
  m.dispose();
  const local = LocalChatBackend.fromDir(modelDir);
  t.after(() => local.dispose());
  const asked: string[] = [];
  let failAfter = Infinity;
  const counting: ChatBackend = {
    description: local.description,
    dispose: () => {},
    chat: (r) => {
      if (asked.length >= failAfter) return Promise.reject(new Error('server went away'));
      asked.push(r.messages[r.messages.length - 1]!.content);
      return local.chat(r);
    },
  };
  const dir = newDir();
  const prompts = ['what is 1 plus 2?', 'what is 3 plus 4?', 'what is 5 plus 6?'].map(user);
  const first = await fillQueue(counting, [...prompts, prompts[0]!], dir, { model: modelDir, maxTokens: 6, temperature: 0, chunkSize: 2 });
  assert.deepEqual(first, { asked: 3, alreadyQueued: 0, duplicates: 1, total: 3 });
  assert.equal(asked.length, 3);
  const items = readQueue(dir).items;
  assert.deepEqual(
    items.map((it) => it.id),
    prompts.map((p) => promptId(p.messages)),
  );
  for (const it of items) {
    assert.equal(typeof it.response, 'string');
    assert.equal(it.provenance.model, modelDir);
    assert.deepEqual(it.provenance.sampling, { maxTokens: 6, temperature: 0, seed: 0 });
    assert.ok(['eos', 'length'].includes(it.provenance.finishReason), it.provenance.finishReason);
    assert.ok(!Number.isNaN(Date.parse(it.provenance.created)));
  }
  decide(dir, items[0]!.id, 'accept');

  // two new prompts among the old ones, and the backend fails after the first new chunk of 1
  const more = [...prompts, user('what is 7 plus 8?'), user('spell cat')];
  asked.length = 0;
  failAfter = 1;
  await assert.rejects(fillQueue(counting, more, dir, { model: modelDir, maxTokens: 6, temperature: 0, chunkSize: 1 }), /server went away/);
  assert.deepEqual(asked, ['what is 7 plus 8?']);
  assert.equal(readQueue(dir).items.length, 4, 'the chunk answered before the failure is saved');
  asked.length = 0;
  failAfter = Infinity;
  const resumed = await fillQueue(counting, more, dir, { model: modelDir, maxTokens: 6, temperature: 0, chunkSize: 1 });
  assert.deepEqual(asked, ['spell cat'], 'only the prompt not yet in the queue is asked');
  assert.deepEqual(resumed, { asked: 1, alreadyQueued: 4, duplicates: 0, total: 5 });
  const s = readQueue(dir);
  assert.equal(s.items[0]!.response, items[0]!.response, 'earlier items are kept as they were');
  assert.equal(s.decisions[items[0]!.id]!.decision, 'accept', 'and so are their decisions');
  await assert.rejects(
    fillQueue(
      counting,
      [
        {
          messages: [
            { role: 'user', content: 'q' },
            { role: 'assistant', content: 'a' },
          ],
        },
      ],
      dir,
      { maxTokens: 4, temperature: 0 },
    ),
    /prompt 0: the prompt ends with an assistant turn/,
  );
});

test('readPrompts takes messages, prompt, question or instruction rows and names file:line on errors', async () => {
  const file = join(root, 'prompts.jsonl');
  writeFileSync(
    file,
    [
      {
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hi' },
        ],
        kind: 'chat',
      },
      { prompt: 'write a haiku' },
      { question: 'why is the sky blue?', system: 'you are a physicist' },
      { instruction: 'list three colours' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  const p = await readPrompts(file);
  assert.deepEqual(
    p.map((x) => x.messages),
    [
      [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi' },
      ],
      [{ role: 'user', content: 'write a haiku' }],
      [
        { role: 'system', content: 'you are a physicist' },
        { role: 'user', content: 'why is the sky blue?' },
      ],
      [{ role: 'user', content: 'list three colours' }],
    ],
  );
  assert.equal(p[0]!.kind, 'chat');
  assert.deepEqual(p[3]!.source, { file, line: 4 });
  const bad = join(root, 'bad-prompts.jsonl');
  writeFileSync(bad, '{"prompt": "ok"}\n{"answer": 3}\n');
  await assert.rejects(readPrompts(bad), /bad-prompts\.jsonl:2: needs 'messages' or one of 'prompt', 'question', 'instruction'/);
  writeFileSync(bad, '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}\n');
  await assert.rejects(readPrompts(bad), /bad-prompts\.jsonl:1: field 'messages' ends with an assistant turn/);
  writeFileSync(bad, '{"messages": [{"role": "robot", "content": "q"}]}\n');
  await assert.rejects(readPrompts(bad), /bad-prompts\.jsonl:1: field 'messages\[0\]\.role' must be system, user or assistant/);
});
