// The scalar reward model: HF sequence-classification layout, last-token scores independent of
// padding, preference data with located errors, and training that separates a learnable preference.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pt from '../../src/tensor/index.js';
import { createModel, saveModel, loadModel } from '../../src/models/index.js';
import { RewardModel, loadRewardModel, rewardModelFromCausal, saveRewardModel } from '../../src/models/reward_model.js';
import { readSafetensors } from '../../src/checkpoint/index.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { loadPreferences, DataError } from '../../src/data/index.js';
import { trainRewardModel } from '../../src/trainers/rm.js';
import { resolveConfig } from '../../src/trainers/config.js';
import { RM_SCHEMA, type RmConfig } from '../../src/trainers/rm_config.js';
import { makeSftSetup } from '../helpers/sft_setup.js';

const setup = makeSftSetup(16);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
const tokFiles = { 'tokenizer.json': readFileSync(join(setup.tokDir, 'tokenizer.json')), 'tokenizer_config.json': readFileSync(join(setup.tokDir, 'tokenizer_config.json')) };
const sftDir = join(setup.dir, 'sft');
{
  const m = createModel({ model_type: 'llama', vocab_size: setup.vocab, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, tie_word_embeddings: false }, { seed: 4 });
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
  assert.ok(keys.includes('score.weight') && !keys.includes('lm_head.weight') && keys.every((k) => k === 'score.weight' || k.startsWith('model.')));
  const back = loadRewardModel(out);
  for (const [k, t] of back.stateDict()) assert.equal(t.sub(sd.get(k)!).abs().max().item(), 0, k);
  assert.throws(() => loadRewardModel(sftDir), /not a sequence classifier/);
  writeFileSync(join(out, 'config.json'), JSON.stringify({ ...cfg, num_labels: 2 }));
  assert.throws(() => loadRewardModel(out), /num_labels 1, got 2/);
  rm.dispose(); lm.dispose(); back.dispose();
});

test('rewards are read at each row\'s last real token: a right-padded batch scores like each row alone', () => {
  const rm = new RewardModel(createModel({ model_type: 'llama', vocab_size: 64, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 }).config, { generator: new pt.Generator(2) });
  const rows = [[5, 6, 7, 8, 9], [1, 2], [3, 4, 5]];
  const S = 5;
  const ids = pt.tensor(rows.map((r) => [...r, ...Array(S - r.length).fill(0)]), { dtype: 'int64' });
  const mask = pt.tensor(rows.map((r) => Array.from({ length: S }, (_, j) => j < r.length)), { dtype: 'bool' });
  const batch = pt.noGrad(() => rm.rewards(ids, mask).toArray() as number[]);
  rows.forEach((r, i) => {
    const alone = pt.noGrad(() => rm.rewards(pt.tensor([r], { dtype: 'int64' }), pt.ones([1, r.length], { dtype: 'bool' })).item() as number);
    assert.ok(Math.abs(alone - batch[i]!) < 1e-5, `row ${i}: ${alone} vs ${batch[i]}`);
  });
  rm.dispose();
});

test('preference rows: explicit prompt (strings or messages), implicit conversations, margin; errors name file, line and field', async () => {
  const tok = Tokenizer.fromDir(setup.tokDir);
  const f = join(setup.dir, 'prefs.jsonl');
  writeFileSync(f, [
    { prompt: 'what is 1 plus 1?', chosen: ' 2', rejected: ' 3' },
    { prompt: [{ role: 'user', content: 'what is 2 plus 2?' }], chosen: [{ role: 'assistant', content: '4' }], rejected: [{ role: 'assistant', content: '5' }], margin: 1.5 },
    { chosen: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }], rejected: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'go away' }] },
    { question: 'what is 3 plus 3?', chosen: 'six '.repeat(200), rejected: '6' },
  ].map((r) => JSON.stringify(r)).join('\n') + '\n');
  const r = await loadPreferences([f], tok, { maxLength: 64 });
  assert.equal(r.pairs.length, 3);
  assert.equal(r.tooLong, 1);
  assert.deepEqual(r.pairs.map((p) => p.margin), [0, 1.5, 0]);
  assert.equal(r.pairs[0]!.chosen.at(-1), tok.eosTokenIds[0], 'plain-text pairs end with EOS');
  assert.ok(tok.decode(r.pairs[1]!.chosen).includes('what is 2 plus 2?') && tok.decode(r.pairs[1]!.rejected).includes('5'));
  const bad = join(setup.dir, 'bad.jsonl');
  writeFileSync(bad, '{"prompt": "x", "chosen": "a"}\n');
  await assert.rejects(loadPreferences([bad], tok, { maxLength: 64 }), (e: unknown) => e instanceof DataError && /bad\.jsonl:1: field 'rejected'/.test(e.message));
  writeFileSync(bad, '{"prompt": "x", "chosen": "a", "rejected": "b"}\n{"prompt": "x", "chosen": "a", "rejected": "b", "margin": "big"}\n');
  await assert.rejects(loadPreferences([bad], tok, { maxLength: 64 }), /bad\.jsonl:2: field 'margin'/);
});

test('posttrain rm learns a preference it can see (held-out accuracy well above chance) and writes metrics and the model', async () => {
  const words = ['red', 'blue', 'green', 'box', 'one', 'two', 'cat', 'dog'];
  const rows = Array.from({ length: 160 }, (_, i) => {
    const filler = `${words[i % 8]} ${words[(i * 3) % 8]} ${words[(i * 5 + 1) % 8]}`;
    return { prompt: [{ role: 'user', content: `what is ${i % 9} plus ${i % 7}?` }], chosen: [{ role: 'assistant', content: `${filler} is ${(i % 9) + (i % 7)}. \\boxed{${(i % 9) + (i % 7)}}` }],
      rejected: [{ role: 'assistant', content: `${filler} is ${(i % 9) + (i % 7)}.` }] };
  });
  const data = join(setup.dir, 'rm-train.jsonl');
  writeFileSync(data, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const cfg = resolveConfig<RmConfig>(RM_SCHEMA, { model: sftDir, train_data: [data], output_dir: join(setup.dir, 'rm-run'), eval_fraction: 0.2,
    batch_size: 8, epochs: 2, lr: 3e-3, max_length: 96, center_rewards: 0.01, seed: 3 }, 'test', {});
  const r = await trainRewardModel(cfg, { quiet: true });
  assert.equal(r.trainPairs, 128);
  assert.ok(r.eval && r.eval.n === 32 && r.eval.accuracy >= 0.9, `held-out accuracy ${r.eval?.accuracy}`);
  const m = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const k of ['loss', 'accuracy', 'margin', 'rewards_chosen', 'rewards_rejected', 'grad_norm', 'lr']) assert.ok(k in m[0], k);
  assert.ok(m.some((x) => 'eval_accuracy' in x));
  assert.ok(existsSync(join(r.finalDir, 'model.safetensors')) && existsSync(join(r.finalDir, 'tokenizer.json')));
  const again = loadRewardModel(r.finalDir);
  again.dispose();
});
