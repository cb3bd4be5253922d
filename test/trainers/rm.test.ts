// The scalar reward model: HF sequence-classification layout, last-token scores independent of
// padding, preference data with located errors, training that separates a learnable preference,
// and checkpoints: exact resume, keep_last pruning, resume_from_checkpoint: false starting over.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pt from '../../src/tensor/index.js';
import { createModel, saveModel, loadModel } from '../../src/models/index.js';
import { RewardModel, loadRewardModel, rewardModelFromCausal, saveRewardModel } from '../../src/models/reward_model.js';
import { readSafetensors } from '../../src/checkpoint/index.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { loadPreferences, DataError } from '../../src/data/index.js';
import { trainRewardModel } from '../../src/trainers/rm.js';
import { latestCheckpoint, listCheckpoints } from '../../src/trainers/checkpoint.js';
import { resolveConfig } from '../../src/common/schema.js';
import { RM_SCHEMA, type RmConfig } from '../../src/trainers/rm_config.js';
import { makeSftSetup } from '../helpers/sft_setup.js';

const setup = makeSftSetup(16);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
const tokFiles = {
  'tokenizer.json': readFileSync(join(setup.tokDir, 'tokenizer.json')),
  'tokenizer_config.json': readFileSync(join(setup.tokDir, 'tokenizer_config.json')),
};
const sftDir = join(setup.dir, 'sft');
{
  const m = createModel(
    {
      model_type: 'llama',
      vocab_size: setup.vocab,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      tie_word_embeddings: false,
    },
    { seed: 4 },
  );
  saveModel(m, sftDir, { tokenizerFiles: tokFiles });
  m.dispose();
}

test('a reward model from an SFT folder keeps its decoder, drops the LM head, and saves in sequence-classification layout', () => {
  const rm = rewardModelFromCausal(sftDir, 1);
  const { model: lm } = loadModel(sftDir);
  const sd = rm.stateDict();
  assert.deepEqual(sd.get('score.weight')!.shape, [1, 32]);
  assert.ok(!sd.has('lm_head.weight'));
  for (const [k, t] of lm.stateDict()) if (k.startsWith('model.')) assert.equal(t.sub(sd.get(k)!).abs().max().item(), 0, k);
  const out = join(setup.dir, 'rm-folder');
  saveRewardModel(rm, out, { padTokenId: 0, tokenizerFiles: tokFiles });
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(cfg.architectures, ['LlamaForSequenceClassification']);
  assert.equal(cfg.num_labels, 1);
  assert.equal(cfg.pad_token_id, 0);
  const keys = [...readSafetensors(join(out, 'model.safetensors')).tensors.keys()];
  assert.ok(
    keys.includes('score.weight') && !keys.includes('lm_head.weight') && keys.every((k) => k === 'score.weight' || k.startsWith('model.')),
  );
  const back = loadRewardModel(out);
  for (const [k, t] of back.stateDict()) assert.equal(t.sub(sd.get(k)!).abs().max().item(), 0, k);
  assert.throws(() => loadRewardModel(sftDir), /not a sequence classifier/);
  writeFileSync(join(out, 'config.json'), JSON.stringify({ ...cfg, num_labels: 2 }));
  assert.throws(() => loadRewardModel(out), /num_labels 1, got 2/);
  rm.dispose();
  lm.dispose();
  back.dispose();
});

test("rewards are read at each row's last real token: a right-padded batch scores like each row alone", () => {
  const rm = new RewardModel(
    createModel({
      model_type: 'llama',
      vocab_size: 64,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
    }).config,
    { generator: new pt.Generator(2) },
  );
  const rows = [
    [5, 6, 7, 8, 9],
    [1, 2],
    [3, 4, 5],
  ];
  const S = 5;
  const ids = pt.tensor(
    rows.map((r) => [...r, ...Array(S - r.length).fill(0)]),
    { dtype: 'int64' },
  );
  const mask = pt.tensor(
    rows.map((r) => Array.from({ length: S }, (_, j) => j < r.length)),
    { dtype: 'bool' },
  );
  const batch = pt.noGrad(() => rm.rewards(ids, mask).toArray() as number[]);
  rows.forEach((r, i) => {
    const alone = pt.noGrad(
      () => rm.rewards(pt.tensor([r], { dtype: 'int64' }), pt.ones([1, r.length], { dtype: 'bool' })).item() as number,
    );
    assert.ok(Math.abs(alone - batch[i]!) < 1e-5, `row ${i}: ${alone} vs ${batch[i]}`);
  });
  rm.dispose();
});

test('preference rows: explicit prompt (strings or messages), implicit conversations, margin; errors name file, line and field', async () => {
  const tok = Tokenizer.fromDir(setup.tokDir);
  const f = join(setup.dir, 'prefs.jsonl');
  writeFileSync(
    f,
    [
      { prompt: 'what is 1 plus 1?', chosen: ' 2', rejected: ' 3' },
      {
        prompt: [{ role: 'user', content: 'what is 2 plus 2?' }],
        chosen: [{ role: 'assistant', content: '4' }],
        rejected: [{ role: 'assistant', content: '5' }],
        margin: 1.5,
      },
      {
        chosen: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
        ],
        rejected: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'go away' },
        ],
      },
      { question: 'what is 3 plus 3?', chosen: 'six '.repeat(200), rejected: '6' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  const r = await loadPreferences([f], tok, { maxLength: 64 });
  assert.equal(r.pairs.length, 3);
  assert.equal(r.tooLong, 1);
  assert.deepEqual(
    r.pairs.map((p) => p.margin),
    [0, 1.5, 0],
  );
  assert.equal(r.pairs[0]!.chosen.at(-1), tok.eosTokenIds[0], 'plain-text pairs end with EOS');
  assert.ok(tok.decode(r.pairs[1]!.chosen).includes('what is 2 plus 2?') && tok.decode(r.pairs[1]!.rejected).includes('5'));
  const bad = join(setup.dir, 'bad.jsonl');
  writeFileSync(bad, '{"prompt": "x", "chosen": "a"}\n');
  await assert.rejects(
    loadPreferences([bad], tok, { maxLength: 64 }),
    (e: unknown) => e instanceof DataError && /bad\.jsonl:1: field 'rejected'/.test(e.message),
  );
  writeFileSync(bad, '{"prompt": "x", "chosen": "a", "rejected": "b"}\n{"prompt": "x", "chosen": "a", "rejected": "b", "margin": "big"}\n');
  await assert.rejects(loadPreferences([bad], tok, { maxLength: 64 }), /bad\.jsonl:2: field 'margin'/);
});

test('posttrain rm learns a preference it can see (held-out accuracy well above chance) and writes metrics and the model', async () => {
  const words = ['red', 'blue', 'green', 'box', 'one', 'two', 'cat', 'dog'];
  const rows = Array.from({ length: 160 }, (_, i) => {
    const filler = `${words[i % 8]} ${words[(i * 3) % 8]} ${words[(i * 5 + 1) % 8]}`;
    return {
      prompt: [{ role: 'user', content: `what is ${i % 9} plus ${i % 7}?` }],
      chosen: [{ role: 'assistant', content: `${filler} is ${(i % 9) + (i % 7)}. \\boxed{${(i % 9) + (i % 7)}}` }],
      rejected: [{ role: 'assistant', content: `${filler} is ${(i % 9) + (i % 7)}.` }],
    };
  });
  const data = join(setup.dir, 'rm-train.jsonl');
  writeFileSync(data, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const cfg = resolveConfig(
    RM_SCHEMA,
    {
      model_name_or_path: sftDir,
      dataset_name: [data],
      output_dir: join(setup.dir, 'rm-run'),
      eval_fraction: 0.2,
      per_device_train_batch_size: 8,
      num_train_epochs: 2,
      learning_rate: 3e-3,
      max_length: 96,
      center_rewards_coefficient: 0.01,
      seed: 3,
    },
    'test',
    {},
  );
  const r = await trainRewardModel(cfg, { quiet: true });
  assert.equal(r.trainPairs, 128);
  assert.ok(r.eval && r.eval.n === 32 && r.eval.accuracy >= 0.9, `held-out accuracy ${r.eval?.accuracy}`);
  const m = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  for (const k of ['loss', 'accuracy', 'margin', 'rewards_chosen', 'rewards_rejected', 'grad_norm', 'lr']) assert.ok(k in m[0], k);
  assert.ok(m.some((x) => 'eval_accuracy' in x));
  assert.ok(existsSync(join(r.finalDir, 'model.safetensors')) && existsSync(join(r.finalDir, 'tokenizer.json')));
  const again = loadRewardModel(r.finalDir);
  again.dispose();
});

// ---- checkpoints and resume_from_checkpoint: 40 pairs, 8 held out, 32 to train on in batches of 4 (8 steps an epoch)
const resumeData = join(setup.dir, 'rm-resume.jsonl');
writeFileSync(
  resumeData,
  Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({
      prompt: `what is ${i % 9} plus ${i % 7}?`,
      chosen: ` it is ${(i % 9) + (i % 7)}. \\boxed{${(i % 9) + (i % 7)}}`,
      rejected: ` it is ${(i % 9) + (i % 7)}.`,
    }),
  ).join('\n') + '\n',
);
const resumeCfg = (out: string, over: Partial<RmConfig> = {}) =>
  resolveConfig(
    RM_SCHEMA,
    {
      model_name_or_path: sftDir,
      dataset_name: [resumeData],
      output_dir: join(setup.dir, out),
      eval_fraction: 0.2,
      per_device_train_batch_size: 4,
      max_steps: 6,
      learning_rate: 3e-3,
      max_length: 64,
      eval_steps: 2,
      save_steps: 2,
      save_total_limit: 5,
      seed: 5,
      ...over,
    },
    'test',
    {},
  );
const metricRows = (out: string) =>
  readFileSync(join(setup.dir, out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);
const trainRows = (out: string) =>
  metricRows(out)
    .filter((x) => 'loss' in x)
    .map((x) => [x.step, x.loss, x.grad_norm]);
const evalRows = (out: string) =>
  metricRows(out)
    .filter((x) => 'eval_accuracy' in x)
    .map((x) => [x.step, x.eval_accuracy, x.eval_margin]);

/** Largest |a − b| over every weight of two reward-model folders (which must hold the same names). */
function largestWeightDifference(dirA: string, dirB: string): number {
  const a = loadRewardModel(dirA),
    b = loadRewardModel(dirB);
  try {
    const wa = a.stateDict(),
      wb = b.stateDict();
    assert.deepEqual([...wa.keys()].sort(), [...wb.keys()].sort());
    assert.ok(
      wa.has('score.weight') && wa.has('model.layers.0.self_attn.q_proj.weight'),
      'the value head and the decoder are both compared',
    );
    return Math.max(...[...wa].map(([k, t]) => t.sub(wb.get(k)!).abs().max().item() as number));
  } finally {
    a.dispose();
    b.dispose();
  }
}

test('rm resumes exactly: stopped after step 4 and resumed, it ends with the weights and metrics of the uninterrupted run', async () => {
  const straight = await trainRewardModel(resumeCfg('rm-resume-a'), { quiet: true });
  assert.equal(straight.steps, 6);
  const stopped = await trainRewardModel(resumeCfg('rm-resume-b'), { quiet: true, stopAfterStep: 4 }); // "killed" after the step-4 checkpoint
  assert.equal(stopped.steps, 4);
  assert.equal(stopped.finalDir, '');
  const latest = latestCheckpoint(join(setup.dir, 'rm-resume-b'))!;
  assert.equal(latest.step, 4);
  assert.deepEqual(
    JSON.parse(readFileSync(join(latest.dir, 'config.json'), 'utf8')).architectures,
    ['LlamaForSequenceClassification'],
    'a checkpoint is a reward-model folder',
  );
  assert.ok(existsSync(join(latest.dir, 'tokenizer.json')) && existsSync(join(latest.dir, 'optimizer.safetensors')));
  loadRewardModel(latest.dir).dispose();
  const resumed = await trainRewardModel(resumeCfg('rm-resume-b'), { quiet: true });
  assert.equal(resumed.steps, 6);
  assert.match(readFileSync(join(setup.dir, 'rm-resume-b', 'log.txt'), 'utf8'), /resumed from .*step-00000004 at step 4/);
  assert.deepEqual(
    trainRows('rm-resume-b').map(([s]) => s),
    [1, 2, 3, 4, 5, 6],
    'the step sequence continues where the checkpoint left off',
  );
  assert.deepEqual(trainRows('rm-resume-b'), trainRows('rm-resume-a'), 'per-step loss and gradient norm');
  assert.deepEqual(evalRows('rm-resume-b'), evalRows('rm-resume-a'), 'held-out evaluations at steps 2, 4 and the end (the same split)');
  assert.deepEqual(resumed.eval, straight.eval);
  const diff = largestWeightDifference(straight.finalDir, resumed.finalDir);
  assert.ok(diff <= 1e-6, `final weights differ by ${diff}`);
  const ckDiff = largestWeightDifference(latestCheckpoint(join(setup.dir, 'rm-resume-a'))!.dir, resumed.finalDir);
  assert.equal(ckDiff, 0, 'the end checkpoint holds the final weights');
});

test('rm keeps the newest keep_last checkpoints', async () => {
  const r = await trainRewardModel(resumeCfg('rm-keep', { save_steps: 1, save_total_limit: 2, eval_steps: 0 }), { quiet: true });
  assert.deepEqual(
    listCheckpoints(r.runDir).map((c) => c.step),
    [5, 6],
  );
  assert.deepEqual(
    readdirSync(join(r.runDir, 'checkpoints')).sort(),
    ['step-00000005', 'step-00000006'],
    'no older or temporary folders left',
  );
});

test('rm with resume_from_checkpoint: false over a run is refused, and with overwrite_output_dir starts over from the start model', async () => {
  await trainRewardModel(resumeCfg('rm-fresh', { eval_steps: 0 }), { quiet: true, stopAfterStep: 4 });
  assert.equal(latestCheckpoint(join(setup.dir, 'rm-fresh'))!.step, 4);
  await assert.rejects(
    trainRewardModel(resumeCfg('rm-fresh', { eval_steps: 0, resume_from_checkpoint: false }), { quiet: true }),
    /holds a rm run \(newest checkpoint step 4\); resume_from_checkpoint is false: set overwrite_output_dir: true/,
  );
  const r = await trainRewardModel(resumeCfg('rm-fresh', { eval_steps: 0, resume_from_checkpoint: false, overwrite_output_dir: true }), {
    quiet: true,
  });
  assert.equal(r.steps, 6);
  assert.deepEqual(
    trainRows('rm-fresh').map(([s]) => s),
    [1, 2, 3, 4, 5, 6],
    "the earlier run's metrics were removed with it: every step once",
  );
  assert.deepEqual(trainRows('rm-fresh'), trainRows('rm-resume-a'), 'and repeats the straight run step for step');
  assert.doesNotMatch(readFileSync(join(r.runDir, 'log.txt'), 'utf8'), /resumed from/);
  assert.match(readFileSync(join(r.runDir, 'log.txt'), 'utf8'), /overwrite_output_dir: removed the run/);
  assert.equal(largestWeightDifference(r.finalDir, join(setup.dir, 'rm-resume-a', 'final')), 0);
});
