// The scale settings through a real SFT run: mixed precision (bf16: float32 master weights, so at
// V3's learning rate every weight moves, where pure bfloat16 weights mostly do not; the loss curve
// tracks float32's), the chunked head and gradient checkpointing (the same run as the plain one),
// and the settings that cannot work refused with the field named (fp16 on the CPU, both precisions,
// a device the linked libtorch does not have).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as pt from '../../src/tensor/index.js';
import { trainSft } from '../../src/trainers/sft.js';
import { createModel, loadModel, resolvePlacement } from '../../src/models/index.js';
import { GradScaler } from '../../src/optim/index.js';
import { makeSftSetup, sftConfig } from '../helpers/sft_setup.js';
import { TINY } from '../helpers/models.js';

const setup = makeSftSetup();
after(() => rmSync(setup.dir, { recursive: true, force: true }));

const losses = (runDir: string) =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((m) => m.loss !== undefined)
    .map((m) => m.loss as number);

/** Share of the initial weights (seed 0 of the config) that the run's final model changed. */
function changedShare(cfg: ReturnType<typeof sftConfig>, finalDir: string): number {
  const init = createModel({ ...cfg.model_config! }, { seed: cfg.seed, dtype: cfg.dtype });
  const { model } = loadModel(finalDir);
  let changed = 0,
    total = 0;
  pt.noGrad(() =>
    pt.scope(() => {
      const a = init.stateDict();
      for (const [k, t] of model.stateDict()) {
        const before = a.get(k)!;
        changed += t.to(before.dtype).ne(before).sum().item() as number;
        total += t.numel;
      }
    }),
  );
  init.dispose();
  model.dispose();
  return changed / total;
}

test('bf16 mixed precision at lr 5e-6: 10 steps change every weight; pure bfloat16 weights lose most updates', async (t) => {
  const over = { max_steps: 10, learning_rate: 5e-6, min_lr: 5e-6, warmup_ratio: 0, weight_decay: 0, use_peft: false };
  const amp = sftConfig(setup, join(setup.dir, 'amp'), { ...over, bf16: true });
  const ampRun = await trainSft(amp, { quiet: true });
  assert.equal(changedShare(amp, ampRun.finalDir), 1, 'every float32 master weight moved');
  const pure = sftConfig(setup, join(setup.dir, 'pure'), { ...over, dtype: 'bfloat16' });
  const pureRun = await trainSft(pure, { quiet: true });
  const share = changedShare(pure, pureRun.finalDir);
  t.diagnostic(`weights changed: bf16 mixed precision 100%, pure bfloat16 ${(share * 100).toFixed(1)}%`);
  assert.ok(share < 0.5, `pure bfloat16 weights: ${(share * 100).toFixed(1)}% changed`);
});

test('a bf16 mixed-precision SFT run tracks the float32 loss curve', async (t) => {
  const over = { max_steps: 24, learning_rate: 3e-3, warmup_ratio: 0, use_peft: false };
  const f32 = losses((await trainSft(sftConfig(setup, join(setup.dir, 'f32'), over), { quiet: true })).runDir);
  const bf16 = losses((await trainSft(sftConfig(setup, join(setup.dir, 'bf16'), { ...over, bf16: true }), { quiet: true })).runDir);
  assert.equal(bf16.length, f32.length);
  const worst = Math.max(...f32.map((l, i) => Math.abs(l - bf16[i]!) / l));
  t.diagnostic(`bf16 vs float32 loss over ${f32.length} steps: largest relative difference ${worst.toExponential(2)}`);
  assert.ok(worst < 0.01, `largest relative loss difference ${worst}`);
  assert.ok(bf16.at(-1)! < bf16[0]! * 0.7, `bf16 learns: ${bf16[0]} → ${bf16.at(-1)}`);
});

test('chunked logits and gradient checkpointing give the plain run’s loss curve and weights', async () => {
  const over = { max_steps: 6, learning_rate: 3e-3, warmup_ratio: 0, use_peft: false };
  const plain = await trainSft(sftConfig(setup, join(setup.dir, 'plain'), over), { quiet: true });
  const both = await trainSft(
    sftConfig(setup, join(setup.dir, 'chunked'), { ...over, logits_chunk_size: 37, gradient_checkpointing: true }),
    {
      quiet: true,
    },
  );
  const a = losses(plain.runDir),
    b = losses(both.runDir);
  a.forEach((l, i) => assert.ok(Math.abs(l - b[i]!) < 1e-5, `step ${i + 1}: ${l} vs ${b[i]}`));
  const ma = loadModel(plain.finalDir).model,
    mb = loadModel(both.finalDir).model;
  const worst = pt.scope(() =>
    Math.max(...[...ma.stateDict()].map(([k, t]) => t.sub(mb.stateDict().get(k)!).abs().max().item() as number)),
  );
  assert.ok(worst < 1e-5, `largest weight difference ${worst}`);
  ma.dispose();
  mb.dispose();
});

test('settings that cannot run are refused before anything loads, naming the field', () => {
  const base = { device: 'cpu', bf16: false, fp16: false };
  assert.throws(() => resolvePlacement({ ...base, fp16: true }, 'sft config'), /sft config field 'fp16'.*CUDA device/);
  assert.throws(() => resolvePlacement({ ...base, bf16: true, fp16: true }, 'sft config'), /choose one/);
  assert.throws(() => resolvePlacement({ ...base, bf16: true, dtype: 'bfloat16' }, 'sft config'), /master weights, but dtype is bfloat16/);
  assert.throws(() => resolvePlacement({ ...base, device: 'gpu' }, 'sft config'), /field 'device'.*'cpu', 'cuda' or 'cuda:N'/);
  if (!pt.cudaAvailable()) {
    assert.throws(() => resolvePlacement({ ...base, device: 'cuda:1' }, 'sft config'), /has no CUDA support/);
    assert.throws(() => createModel(TINY.llama, { device: 'cuda' }), /has no CUDA support/);
    assert.deepEqual(pt.devices(), ['cpu']);
    assert.equal(resolvePlacement({ ...base, device: 'auto' }, 'x').device, 'cpu');
  }
});

test('GradScaler: overflowed steps are skipped and halve the scale, clean ones grow it, unscale divides', () => {
  const s = new GradScaler({ enabled: true, initScale: 1024, growthInterval: 2 });
  const p = pt.tensor([1, 2, 3], { dtype: 'float32' }).requiresGrad_(true).keep();
  p.mul(1024).sum().backward();
  s.unscale([p]);
  assert.deepEqual(p.grad!.toFlatArray(), [1, 1, 1]);
  assert.equal(s.update(Infinity), false);
  assert.equal(s.scale, 512);
  assert.equal(s.update(1), true);
  assert.equal(s.update(1), true);
  assert.equal(s.scale, 1024);
  const restored = new GradScaler({ enabled: true }).load(s.state());
  assert.equal(restored.scale, 1024);
  const off = new GradScaler({ enabled: false });
  assert.equal(off.scale, 1);
  assert.equal(off.update(NaN), true);
});
