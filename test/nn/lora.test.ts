import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pt from '../../src/tensor/index.js';
import { AdamW } from '../../src/optim/index.js';
import { applyLora, mergeLora, saveAdapter, loadAdapter } from '../../src/models/lora.js';
import { readSafetensorsHeader } from '../../src/checkpoint/index.js';
import { tinyModel } from '../helpers/models.js';

const cfg = { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj', 'down_proj'] };
const ids = pt.tensor([[1, 2, 3, 4, 5, 6, 7, 8]]).keep();

function trainSteps(m: ReturnType<typeof tinyModel>, n: number): void {
  const opt = new AdamW(m.trainableParameters(), { lr: 1e-2, weightDecay: 0 });
  for (let i = 0; i < n; i++)
    pt.scope(() => {
      opt.zeroGrad();
      pt.crossEntropy(m.forward(ids.slice(1, 0, -1)), ids.slice(1, 1)).backward();
      opt.step();
    });
  opt.dispose();
}

test('LoRA: only adapters train, the output starts equal to the base, and merging preserves it', () => {
  const m = tinyModel('llama', 1, 'float64', 1);
  const base = pt.noGrad(() => m.forward(ids)).keep();
  const frozen = m.stateDict();
  const before = new Map([...frozen].map(([k, t]) => [k, t.clone().keep()]));
  const adapted = applyLora(m, cfg);
  assert.equal(adapted.length, 2 * 3); // 2 layers × 3 targets
  const trainable = m
    .namedParameters()
    .filter(([, t]) => t.requiresGrad)
    .map(([k]) => k);
  assert.ok(trainable.length === 12 && trainable.every((k) => /\.lora_[AB]\.weight$/.test(k)), trainable.join());
  assert.ok(pt.noGrad(() => m.forward(ids)).allclose(base, 0, 0), 'B = 0: adapters start as the identity');
  trainSteps(m, 5);
  for (const [k, t] of before) assert.ok(m.stateDict().get(k)!.equal(t), `base weight ${k} changed`);
  const adaptedOut = pt.noGrad(() => m.forward(ids)).keep();
  assert.ok(!adaptedOut.allclose(base, 1e-6, 1e-6), 'training the adapters changed the output');
  mergeLora(m);
  assert.ok(!m.namedParameters().some(([k]) => k.includes('lora_')), 'adapters removed after merge');
  assert.ok(pt.noGrad(() => m.forward(ids)).allclose(adaptedOut, 1e-10, 1e-10), 'merged model = adapted model');
  m.dispose();
});

test('LoRA adapters save in PEFT layout and load back exactly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'posttrain-lora-'));
  const m = tinyModel('qwen2', 2, 'float32', 1);
  applyLora(m, cfg, new pt.Generator(3));
  trainSteps(m, 3);
  const want = pt.noGrad(() => m.forward(ids)).keep();
  saveAdapter(m, dir, cfg, 'tiny-qwen2');
  const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
  assert.equal(config.peft_type, 'LORA');
  assert.equal(config.r, 4);
  assert.equal(config.lora_alpha, 8);
  assert.deepEqual(config.target_modules, ['q_proj', 'v_proj', 'down_proj']);
  const names = readSafetensorsHeader(join(dir, 'adapter_model.safetensors')).entries.map((e) => e.name);
  assert.ok(names.includes('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'), names.join());
  assert.ok(names.includes('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight'));
  assert.equal(names.length, 12);
  const fresh = tinyModel('qwen2', 2, 'float32', 1);
  const loaded = loadAdapter(fresh, dir);
  assert.deepEqual(loaded.targetModules, cfg.targetModules);
  assert.ok(pt.noGrad(() => fresh.forward(ids)).allclose(want, 0, 0));
  m.dispose();
  fresh.dispose();
  rmSync(dir, { recursive: true });
});

test('LoRA refuses bad settings', () => {
  const m = tinyModel('llama');
  assert.throws(() => applyLora(m, { ...cfg, targetModules: ['nope'] }), /no Linear layer matches/);
  assert.throws(() => applyLora(m, { ...cfg, r: 0 }), /r must be/);
  m.dispose();
});
