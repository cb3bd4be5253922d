import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pt from '../../src/tensor/index.js';
import { N } from '../../src/tensor/native.js';
import { createModel, loadModel, saveModel, decoderConfig, CausalLM } from '../../src/models/index.js';
import { TINY, tinyModel } from '../helpers/models.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'posttrain-model-')); // each test removes its own
const bytes = (t: pt.Tensor) => Buffer.from(N.toBuffer(t.h('test')));

test('save → load is bit-exact for every family, in float32 and bfloat16', () => {
  for (const family of ['llama', 'qwen2', 'qwen3'] as const) {
    for (const dtype of ['float32', 'bfloat16'] as const) {
      const dir = tmp();
      const m = createModel(TINY[family], { seed: 5, dtype });
      saveModel(m, join(dir, 'out'), { generationConfig: { bos_token_id: 1, eos_token_id: 2 } });
      const { model: back, generationConfig } = loadModel(join(dir, 'out'), { dtype });
      assert.deepEqual(generationConfig, { bos_token_id: 1, eos_token_id: 2 });
      const a = m.stateDict(),
        b = back.stateDict();
      assert.deepEqual([...a.keys()], [...b.keys()]);
      for (const [k, t] of a) assert.ok(bytes(t).equals(bytes(b.get(k)!)), `${family}/${dtype}: ${k} differs`);
      m.dispose();
      back.dispose();
      rmSync(dir, { recursive: true });
    }
  }
});

test('saved folders use Hugging Face key names and config fields (tied embeddings store no lm_head)', () => {
  const dir = tmp();
  const m = createModel(TINY.qwen2, { seed: 1 });
  saveModel(m, dir);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['Qwen2ForCausalLM']);
  assert.equal(config.model_type, 'qwen2');
  assert.equal(config.tie_word_embeddings, true);
  assert.equal(config.torch_dtype, 'float32');
  assert.equal(config.num_key_value_heads, 2);
  const header = readFileSync(join(dir, 'model.safetensors'));
  const json = JSON.parse(header.subarray(8, 8 + Number(header.readBigUInt64LE(0))).toString('utf8'));
  assert.ok('model.embed_tokens.weight' in json);
  assert.ok('model.layers.1.self_attn.q_proj.bias' in json, 'qwen2 has q/k/v biases');
  assert.ok(!('model.layers.1.self_attn.o_proj.bias' in json), 'and no o_proj bias');
  assert.ok(!('lm_head.weight' in json), 'tied: no lm_head');
  assert.deepEqual(json['model.layers.0.mlp.gate_proj.weight'].shape, [48, 32]);
  assert.equal(json['model.norm.weight'].dtype, 'F32');
  const q3 = createModel(TINY.qwen3);
  const keys = [...q3.stateDict().keys()];
  assert.ok(keys.includes('model.layers.0.self_attn.q_norm.weight') && keys.includes('lm_head.weight'));
  m.dispose();
  q3.dispose();
  rmSync(dir, { recursive: true });
});

test('a folder we save is read by an independent reader (Python, json + struct + torch.frombuffer)', (t) => {
  const py = '/usr/bin/python3';
  const { spawnSync } = require_('node:child_process');
  if (spawnSync(py, ['-c', 'import torch']).status !== 0) {
    t.skip('python3-torch not installed');
    return;
  }
  const reader = new URL('../../../test/fixtures/read_safetensors.py', import.meta.url).pathname;
  if (!fileExists(reader)) {
    t.skip('test/fixtures/read_safetensors.py missing');
    return;
  }
  const dir = tmp();
  const m = createModel(TINY.llama, { seed: 2 });
  saveModel(m, dir);
  const r = spawnSync(py, [reader, join(dir, 'model.safetensors')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  const text = JSON.stringify(summary);
  const w = m.stateDict().get('model.embed_tokens.weight')!;
  assert.ok(text.includes('model.embed_tokens.weight'));
  const sum = w.sum().item() as number;
  const found = JSON.stringify(summary)
    .match(/-?\d+\.\d+(e-?\d+)?/g)!
    .map(Number)
    .some((v) => Math.abs(v - sum) < 1e-4);
  assert.ok(found, `python saw the embedding sum ${sum}: ${text.slice(0, 300)}`);
  m.dispose();
  rmSync(dir, { recursive: true });
});

test('loading refuses a truncated weights file naming it, and a wrong shape naming the key', () => {
  const dir = tmp();
  const m = createModel(TINY.llama, { seed: 3 });
  saveModel(m, dir);
  const file = join(dir, 'model.safetensors');
  truncateSync(file, statSync(file).size - 100);
  assert.throws(
    () => loadModel(dir),
    (e: Error) => e.message.includes('model.safetensors'),
  );
  saveModel(m, dir);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, intermediate_size: 40 }));
  assert.throws(() => loadModel(dir), /mlp\.gate_proj\.weight.*\[48, 32\].*\[40, 32\]/);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'gpt2' }));
  assert.throws(() => loadModel(dir), /model_type "gpt2" is not supported/);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, num_key_value_heads: 3 }));
  assert.throws(() => loadModel(dir), /config\.json: field 'num_key_value_heads'/);
  m.dispose();
  rmSync(dir, { recursive: true });
});

test('packed samples are isolated: a packed row gives each sample the logits it gets alone', () => {
  const m = tinyModel('llama', 7, 'float64');
  pt.noGrad(() => {
    const a = [3, 4, 5, 6],
      b = [7, 8, 9];
    const packed = m.forward(pt.tensor([[...a, ...b]]), { segmentIds: pt.tensor([[0, 0, 0, 0, 1, 1, 1]]) }); // (1, 7, V)
    const alone = pt.cat([m.forward(pt.tensor([a])), m.forward(pt.tensor([b]))], 1); // (1, 7, V)
    assert.ok(packed.allclose(alone, 1e-10, 1e-10));
    const changed = m.forward(pt.tensor([[...a, 1, 2, 3]]), { segmentIds: pt.tensor([[0, 0, 0, 0, 1, 1, 1]]) });
    assert.ok(changed.slice(1, 0, 4).allclose(packed.slice(1, 0, 4), 1e-12, 0), 'changing sample 2 leaves sample 1 unchanged');
  });
  m.dispose();
});

test('a model learns: a few AdamW steps on a repeated sequence drive the loss down', async () => {
  const { AdamW } = await import('../../src/optim/index.js');
  const m = createModel(TINY.qwen3, { seed: 4 });
  const opt = new AdamW(m.trainableParameters(), { lr: 1e-2, weightDecay: 0 });
  const ids = pt.tensor([[1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45]]);
  const losses: number[] = [];
  for (let i = 0; i < 40; i++) {
    losses.push(
      pt.scope(() => {
        opt.zeroGrad();
        const logits = m.forward(ids.slice(1, 0, -1));
        const loss = pt.crossEntropy(logits, ids.slice(1, 1));
        loss.backward();
        opt.step();
        return loss.item() as number;
      }),
    );
  }
  assert.ok(losses.at(-1)! < losses[0]! * 0.2, `loss ${losses[0]} → ${losses.at(-1)}`);
  opt.dispose();
  m.dispose();
});

test('config readers refuse unsupported settings with file and field', () => {
  assert.throws(() => decoderConfig({ ...TINY.llama, hidden_act: 'gelu' }, 'x/config.json'), /x\/config\.json: field 'hidden_act'/);
  assert.throws(() => decoderConfig({ ...TINY.llama, rope_scaling: { rope_type: 'yarn', factor: 2 } }, 'c.json'), /yarn.*not supported/);
  assert.throws(() => decoderConfig({ ...TINY.llama, rope_scaling: { rope_type: 'llama3', factor: 8 } }, 'c.json'), /low_freq_factor/);
  assert.throws(() => decoderConfig({ ...TINY.llama, vocab_size: -1 }, 'c.json'), /vocab_size/);
  assert.ok(new CausalLM(decoderConfig(TINY.llama)).numParameters() > 0);
});

import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
const require_ = createRequire(import.meta.url);
const fileExists = existsSync;

test('weight-only bfloat16 (bfloat16 parameters, float32 compute) gives the float32 model of the rounded weights: logits, KV cache and greedy decoding', async () => {
  const { generate } = await import('../../src/generation/index.js');
  for (const family of ['llama', 'qwen2', 'qwen3'] as const) {
    const half = createModel(TINY[family], { seed: 3 }).to('bfloat16').autocast('float32').eval();
    const full = createModel(TINY[family], { seed: 3 }).to('bfloat16').to('float32').eval(); // the same rounded values
    const ids = pt.tensor([[3, 7, 1, 9, 4, 4, 2]], { dtype: 'int64' });
    pt.noGrad(() =>
      pt.scope(() => {
        const a = half.forward(ids),
          b = full.forward(ids);
        assert.equal(a.dtype, 'float32');
        const err = a.sub(b).abs().max().item() as number;
        assert.ok(err < 1e-4, `${family}: logits off by ${err}`);
      }),
    );
    const prompt = [3, 7, 1, 9];
    const ga = generate(half, [prompt], { maxNewTokens: 8, temperature: 0, eosTokenIds: [] });
    const gb = generate(full, [prompt], { maxNewTokens: 8, temperature: 0, eosTokenIds: [] });
    assert.deepEqual(ga[0]!.tokens, gb[0]!.tokens, `${family}: greedy tokens`);
    half.dispose();
    full.dispose();
  }
});
