// Token-level distillation (src/trainers/distill.ts) on tiny models: the teacher is a tiny Llama
// trained briefly by SFT on the test conversations, the student a random model of the same config.
// Distillation lowers the KD loss to the teacher (measured here, outside the trainer), λ = 1 trains
// on the student's own responses, tokenizer and vocab_size mismatches are refused naming both
// folders, a run stopped mid-way and resumed repeats the uninterrupted run exactly, and the CLI
// parses its config.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pt from '../../src/tensor/index.js';
import { createModel, loadModel, saveModel, type CausalLM } from '../../src/models/index.js';
import { Tokenizer, trainByteLevelBpe, makeTokenizerConfig, CHATML_SPECIAL_TOKENS } from '../../src/tokenizer/index.js';
import { loadExamples, padRows, toBatch, IGNORE_INDEX } from '../../src/data/index.js';
import { trainSft } from '../../src/trainers/sft.js';
import { trainDistill, tokenizerDifference, promptOf } from '../../src/trainers/distill.js';
import { kdLoss } from '../../src/trainers/kd_loss.js';
import { resolveConfig, ConfigError } from '../../src/common/schema.js';
import { DISTILL_SCHEMA, type DistillConfig } from '../../src/trainers/distill_config.js';
import { kindConfig } from '../../src/cli/kind.js';

const distillConfig = (args: string[]) => kindConfig('distill', args) as DistillConfig;
import { makeSftSetup, sftConfig } from '../helpers/sft_setup.js';

const setup = makeSftSetup(24);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
const ARCH = {
  model_type: 'llama',
  vocab_size: setup.vocab,
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 256,
  tie_word_embeddings: true,
};
const tokFiles = (dir: string) => ({
  'tokenizer.json': readFileSync(join(dir, 'tokenizer.json')),
  'tokenizer_config.json': readFileSync(join(dir, 'tokenizer_config.json')),
});
const studentDir = join(setup.dir, 'student');
let teacherDir = '';

before(async () => {
  const sft = await trainSft(sftConfig(setup, join(setup.dir, 'teacher-sft'), { max_steps: 24, num_train_epochs: 4, warmup_steps: 2 }), {
    quiet: true,
  });
  teacherDir = sft.finalDir;
  const student = createModel(ARCH, { seed: 5 });
  saveModel(student, studentDir, { tokenizerFiles: tokFiles(setup.tokDir) });
  student.dispose();
});

const cfg = (out: string, over: Partial<DistillConfig> = {}) =>
  resolveConfig(
    DISTILL_SCHEMA,
    {
      model_name_or_path: studentDir,
      teacher_model_name_or_path: teacherDir,
      dataset_name: [setup.data],
      output_dir: join(setup.dir, out),
      per_device_train_batch_size: 4,
      learning_rate: 3e-3,
      min_lr: 3e-4,
      warmup_steps: 1,
      max_steps: 12,
      max_new_tokens: 6,
      seed: 2,
      ...over,
    },
    'test',
    {},
  );
const metrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

/** Token-mean forward KL of a student folder to the teacher over every dataset response, outside the trainer. */
async function kdToTeacher(studentFolder: string): Promise<number> {
  const tokenizer = Tokenizer.fromDir(setup.tokDir);
  const { examples } = await loadExamples([setup.data], tokenizer, {
    errorPolicy: 'fail',
    lossOn: 'completion',
    truncation: 'truncate',
    addEos: true,
  });
  const load = (d: string): CausalLM => loadModel(d).model.eval();
  const s = load(studentFolder),
    t = load(teacherDir);
  try {
    return pt.noGrad(() =>
      pt.scope(() => {
        const b = toBatch(padRows(examples, Math.max(...examples.map((e) => e.ids.length)) - 1));
        const mask = b.targets.ne(IGNORE_INDEX); // (B, T)
        const o = { segmentIds: b.segmentIds };
        return kdLoss(s.forward(b.inputs, o), t.forward(b.inputs, o), mask, { loss: 'forward_kl' }).item() as number;
      }),
    );
  } finally {
    s.dispose();
    t.dispose();
  }
}

test('forward-KL distillation lowers the KD loss to the teacher, logs per-step metrics and saves the student', async () => {
  const r = await trainDistill(cfg('fkl', { max_steps: 18 }), { quiet: true });
  assert.equal(r.steps, 18);
  assert.equal(r.onPolicySteps, 0, 'λ = 0: always the dataset responses');
  const first = (r.kdLosses[0]! + r.kdLosses[1]! + r.kdLosses[2]!) / 3,
    last = (r.kdLosses[15]! + r.kdLosses[16]! + r.kdLosses[17]!) / 3;
  assert.ok(last < first * 0.6, `kd_loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
  const before = await kdToTeacher(studentDir),
    after = await kdToTeacher(r.finalDir);
  assert.ok(after < before * 0.6, `forward KL to the teacher over the data: ${before.toFixed(3)} → ${after.toFixed(3)}`);
  const m = metrics(r.runDir);
  assert.deepEqual(
    m.map((x) => x.step),
    Array.from({ length: 18 }, (_, i) => i + 1),
  );
  for (const k of ['loss', 'kd_loss', 'on_policy', 'lr', 'grad_norm', 'tokens', 'tokens_per_s']) assert.ok(k in m[0], k);
  assert.ok(!('sft_loss' in m[0]), 'no SFT term: not logged');
  assert.ok(m.every((x) => x.on_policy === 0 && x.loss === x.kd_loss && x.tokens > 0));
  assert.ok(existsSync(join(r.finalDir, 'model.safetensors')) && existsSync(join(r.finalDir, 'tokenizer.json')));
});

test("λ = 1: every step trains on the student's own responses (JSD with an SFT term on the dataset)", async () => {
  const r = await trainDistill(cfg('onpolicy', { lmbda: 1, loss: 'jsd', beta: 0.5, sft_weight: 0.5, max_steps: 3 }), { quiet: true });
  assert.equal(r.onPolicySteps, 3);
  for (const x of metrics(r.runDir)) {
    assert.equal(x.on_policy, 1);
    assert.ok(x.tokens <= 4 * 6, `the KD tokens are the ≤ 6 sampled per prompt, not the dataset's longer responses: ${x.tokens}`);
    assert.ok(x.response_length_mean >= 1 && x.response_length_mean <= 6 && x.time_generation_s > 0);
    assert.ok(x.kd_loss > 0 && x.sft_loss > 0);
    assert.ok(Math.abs(x.loss - (x.kd_loss + 0.5 * x.sft_loss)) < 1e-9, 'loss = kd + sft_weight × sft');
  }
  const mixed = await trainDistill(cfg('half', { lmbda: 0.5, max_steps: 8 }), { quiet: true });
  const flags = metrics(mixed.runDir).map((x) => x.on_policy);
  assert.ok(flags.includes(0) && flags.includes(1), `λ 0.5 mixes both: ${flags.join('')}`);
  assert.equal(mixed.onPolicySteps, flags.filter((f) => f === 1).length);
});

test('LoRA student: the adapters train (on-policy too), the adapter and the merged model are saved', async () => {
  const r = await trainDistill(cfg('lora', { use_peft: true, lora_r: 4, lmbda: 0.5, max_steps: 4 }), { quiet: true });
  assert.ok(r.kdLosses.every((x) => Number.isFinite(x) && x > 0));
  assert.match(readFileSync(join(r.runDir, 'log.txt'), 'utf8'), /LoRA on \d+ layers \(r 4/);
  assert.ok(existsSync(join(r.runDir, 'final-adapter', 'adapter_config.json')));
  assert.ok((await kdToTeacher(r.finalDir)) < (await kdToTeacher(studentDir)), 'the merged student is closer to the teacher');
});

test('the on-policy prompt is the example up to its first trained token (the assistant header included)', async () => {
  const tokenizer = Tokenizer.fromDir(setup.tokDir);
  const { examples } = await loadExamples([setup.data], tokenizer, {
    errorPolicy: 'fail',
    lossOn: 'completion',
    truncation: 'truncate',
    addEos: true,
  });
  const prompt = promptOf(examples[0]!);
  const first = examples[0]!.lossMask.indexOf(1);
  assert.equal(prompt.length, first);
  assert.match(tokenizer.decode(prompt), /<\|im_start\|>assistant\n$/);
});

test('a teacher with another tokenizer, or another vocab_size, is refused naming both folders and what differs', async () => {
  const otherTok = join(setup.dir, 'other-tok');
  const corpus = Array.from({ length: 40 }, (_, i) => `entirely different words ${i} for another vocabulary, ${i * 3} apples`);
  const tok = Tokenizer.fromFiles(
    trainByteLevelBpe(corpus, { vocabSize: 300, specialTokens: CHATML_SPECIAL_TOKENS }),
    makeTokenizerConfig({ eos: '<|im_end|>', pad: '<|endoftext|>' }),
  );
  mkdirSync(otherTok, { recursive: true });
  tok.save(otherTok);
  const otherTeacher = join(setup.dir, 'teacher-other-tok');
  const m = createModel({ ...ARCH, vocab_size: Math.max(tok.vocabSize, setup.vocab) }, { seed: 1 });
  saveModel(m, otherTeacher, { tokenizerFiles: tokFiles(otherTok) });
  m.dispose();
  const diff = tokenizerDifference(Tokenizer.fromDir(setup.tokDir), tok);
  assert.ok(diff !== null);
  assert.equal(
    tokenizerDifference(Tokenizer.fromDir(setup.tokDir), Tokenizer.fromDir(teacherDir)),
    null,
    'the SFT teacher carries the same tokenizer',
  );
  await assert.rejects(trainDistill(cfg('bad-tok', { teacher_model_name_or_path: otherTeacher }), { quiet: true }), (e: Error) => {
    assert.ok(e.message.includes(studentDir) && e.message.includes(otherTeacher), e.message);
    assert.match(e.message, /must share a tokenizer/);
    assert.ok(e.message.includes(diff!), `${e.message} names the difference: ${diff}`);
    return true;
  });

  const wideTeacher = join(setup.dir, 'teacher-wide');
  const w = createModel({ ...ARCH, vocab_size: setup.vocab + 16 }, { seed: 1 });
  saveModel(w, wideTeacher, { tokenizerFiles: tokFiles(setup.tokDir) });
  w.dispose();
  await assert.rejects(trainDistill(cfg('bad-vocab', { teacher_model_name_or_path: wideTeacher }), { quiet: true }), (e: Error) =>
    e.message.includes(`vocab_size is ${setup.vocab} (${studentDir}), the teacher's ${setup.vocab + 16} (${wideTeacher})`),
  );
});

test('tokenizerDifference compares content, not file layout: swapped ids and changed merges are named', () => {
  const json = JSON.parse(readFileSync(join(setup.tokDir, 'tokenizer.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(setup.tokDir, 'tokenizer_config.json'), 'utf8'));
  const base = Tokenizer.fromFiles(json, config);
  const variant = (edit: (j: typeof json) => void) => {
    const j = structuredClone(json);
    edit(j);
    return Tokenizer.fromFiles(j, config);
  };
  assert.equal(
    tokenizerDifference(
      base,
      variant((j) => {
        j.model.vocab = Object.fromEntries(Object.entries(json.model.vocab).reverse());
      }),
    ),
    null,
    'the same vocabulary written in another key order',
  );
  const [a, b] = [json.model.vocab['a'] as number, json.model.vocab['b'] as number];
  assert.equal(
    tokenizerDifference(
      base,
      variant((j) => {
        j.model.vocab['a'] = b;
        j.model.vocab['b'] = a;
      }),
    ),
    `2 token ids map to different tokens, first id ${Math.min(a, b)}: ${JSON.stringify(a < b ? 'a' : 'b')} vs ${JSON.stringify(a < b ? 'b' : 'a')}`,
  );
  assert.match(
    tokenizerDifference(
      base,
      variant((j) => {
        j.model.merges = json.model.merges.slice(0, -1);
      }),
    )!,
    /same vocabulary, but their tokenizer.json 'model' sections differ \(merges/,
  );
});

test('resume: a run stopped after step 3 and resumed from its step-2 checkpoint repeats the uninterrupted run exactly (λ draws included)', async () => {
  const over = { max_steps: 6, save_steps: 2, save_total_limit: 5, lmbda: 0.5, sft_weight: 0.3 };
  const pick = (dir: string) => metrics(join(setup.dir, dir)).map((x) => [x.step, x.loss, x.kd_loss, x.on_policy, x.tokens] as const);
  await trainDistill(cfg('resume-a', over), { quiet: true });
  const stopped = await trainDistill(cfg('resume-b', over), { quiet: true, stopAfterStep: 3 });
  assert.equal(stopped.finalDir, '');
  await trainDistill(cfg('resume-b', over), { quiet: true });
  const a = new Map(pick('resume-a').map(([s, ...rest]) => [s, rest]));
  const b = pick('resume-b');
  assert.deepEqual(
    b.map(([s]) => s),
    [1, 2, 3, 4, 5, 6],
    'each step once: step 3 of the stopped run cut back when resuming at 2',
  );
  for (const [s, ...rest] of b) assert.deepEqual(rest, a.get(s), `step ${s}`);
  assert.ok(new Set(b.map((x) => x[3])).size === 2, 'the run mixes on- and off-policy steps, so the λ stream is what resumes');
});

test('CLI: `posttrain distill` reads a config file and --key=value overrides, rejects unknown fields, and is listed in help', () => {
  const file = join(setup.dir, 'distill.yaml');
  writeFileSync(
    file,
    `model_name_or_path: ${studentDir}\nteacher_model_name_or_path: ${teacherDir}\ndataset_name: [${setup.data}]\noutput_dir: ${join(setup.dir, 'cli')}\nloss: jsd\n`,
  );
  const c = distillConfig([`--config=${file}`, '--beta=0.25', '--lmbda', '0.5', '--max-new-tokens=32']);
  assert.deepEqual([c.loss, c.beta, c.lmbda, c.max_new_tokens, c.temperature, c.sft_weight], ['jsd', 0.25, 0.5, 32, 1, 0]);
  assert.throws(
    () => distillConfig([`--config=${file}`, '--lamda=0.5']),
    (e: Error) => e instanceof ConfigError && /--lamda: unknown field/.test(e.message),
  );
  assert.throws(() => distillConfig([`--config=${file}`, '--beta=2']), /field 'beta' must be <= 1/);
  const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const help = spawnSync(process.execPath, [cli, 'help'], { encoding: 'utf8' });
  assert.match(help.stdout, /\n  distill +token-level distillation/);
  const bad = spawnSync(process.execPath, [cli, 'distill', `--model_name_or_path=${studentDir}`], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /posttrain distill: invalid config.*\n.*field 'teacher_model_name_or_path' is required/s);
});
