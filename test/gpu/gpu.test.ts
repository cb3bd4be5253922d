// The device path on a GPU (run by scripts/gpu_check.sh after building the addon against a CUDA
// libtorch; skipped where the linked libtorch has no CUDA): a model moved to 'cuda' gives the CPU's
// logits and gradients (float32 to 1e-4, bf16 mixed precision to 1e-3 of the largest value against
// the CPU computing the same bf16 autocast), SFT and GRPO run a few steps there with bf16 and
// gradient checkpointing and lower their loss / finish, and greedy generation picks the CPU's tokens.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pt from '../../src/tensor/index.js';
import { createModel, forwardBackward, type CausalLM } from '../../src/models/index.js';
import { crossEntropyLoss } from '../../src/trainers/token_losses.js';
import { generate } from '../../src/generation/index.js';
import { trainSft } from '../../src/trainers/sft.js';
import { trainGrpo } from '../../src/trainers/grpo/train.js';
import { resolveConfig } from '../../src/common/schema.js';
import { GRPO_SCHEMA } from '../../src/trainers/grpo/config.js';
import { makeSftSetup, sftConfig, saveTinyModel } from '../helpers/sft_setup.js';
import { TINY } from '../helpers/models.js';

const skip = pt.cudaAvailable() ? false : 'the linked libtorch has no CUDA (scripts/gpu_check.sh builds against one)';
const setup = makeSftSetup(16);
after(() => rmSync(setup.dir, { recursive: true, force: true }));

const ids = pt.tensor([[1, 5, 9, 2, 7, 3, 3, 8, 1, 4, 6, 2]]).keep(); // (1, 12)

/** logits, loss and flattened gradients of a model on its device. */
function pass(model: CausalLM): { logits: number[]; grads: number[][]; loss: number } {
  pt.zeroGrad(model.parameters());
  const x = ids.to(model.device);
  const logits = pt.noGrad(() => pt.scope(() => model.forward(x).float().cpu().toFlatArray() as number[]));
  const loss = forwardBackward(
    model,
    x.narrow(1, 0, 11),
    {},
    (h) => crossEntropyLoss(model, h, x.narrow(1, 1, 11), 1 / 11, { logits_chunk_size: 4 }),
    {
      gradientCheckpointing: true,
    },
  );
  return { logits, loss, grads: model.trainableParameters().map((p) => p.grad!.float().cpu().toFlatArray() as number[]) };
}

function within(a: number[], b: number[], tol: number, what: string): void {
  const scale = Math.max(1e-6, ...b.map(Math.abs));
  const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
  assert.ok(worst <= tol * scale, `${what}: max difference ${worst} vs largest value ${scale} (tolerance ${tol} of it)`);
}

test('forward and backward on the GPU match the CPU (float32, and bf16 mixed precision)', { skip }, () => {
  for (const compute of [null, 'bfloat16'] as const) {
    const cpu = createModel({ ...TINY.qwen2, vocab_size: 64 }, { seed: 3 }).autocast(compute);
    const gpu = createModel({ ...TINY.qwen2, vocab_size: 64 }, { seed: 3, device: 'cuda' }).autocast(compute);
    assert.equal(gpu.device, 'cuda:0');
    const a = pass(cpu),
      b = pass(gpu);
    const tol = compute ? 1e-3 : 1e-4;
    within(b.logits, a.logits, tol, `${compute ?? 'float32'} logits`);
    b.grads.forEach((g, i) => within(g, a.grads[i]!, compute ? 1e-2 : 1e-4, `${compute ?? 'float32'} gradient ${i}`));
    cpu.dispose();
    gpu.dispose();
  }
});

test('SFT on the GPU in bf16 with gradient checkpointing lowers the loss', { skip }, async () => {
  const r = await trainSft(
    sftConfig(setup, join(setup.dir, 'sft-gpu'), {
      device: 'cuda',
      bf16: true,
      gradient_checkpointing: true,
      max_steps: 12,
      learning_rate: 3e-3,
    }),
    { quiet: true },
  );
  assert.ok(Number.isFinite(r.finalLoss));
});

test('GRPO on the GPU runs its rounds', { skip }, async () => {
  const modelDir = join(setup.dir, 'policy');
  saveTinyModel(setup, modelDir, 3);
  const prompts = join(setup.dir, 'prompts.jsonl');
  writeFileSync(
    prompts,
    Array.from({ length: 8 }, (_, i) => JSON.stringify({ question: `what is ${i} plus ${i}?`, answer: 2 * i })).join('\n') + '\n',
  );
  const cfg = resolveConfig(
    GRPO_SCHEMA,
    {
      model_name_or_path: modelDir,
      dataset_name: [prompts],
      output_dir: join(setup.dir, 'grpo-gpu'),
      num_generations: 4,
      prompts_per_step: 4,
      max_completion_length: 12,
      max_steps: 3,
      reward_funcs: ['short'],
      device: 'cuda',
      bf16: true,
    },
    'gpu test',
    {},
  );
  const r = await trainGrpo(cfg, {
    quiet: true,
    rewardFns: { short: (x: { completionTokens?: number }) => 1 - (x.completionTokens ?? 12) / 12 },
  });
  assert.equal(r.steps, 3);
});

test('greedy generation on the GPU picks the CPU’s tokens', { skip }, () => {
  const cpu = createModel({ ...TINY.llama, vocab_size: 64 }, { seed: 5 });
  const gpu = createModel({ ...TINY.llama, vocab_size: 64 }, { seed: 5, device: 'cuda' });
  const prompts = [
    [1, 2, 3],
    [4, 5, 6, 7, 8],
  ];
  const o = { maxNewTokens: 10, temperature: 0, eosTokenIds: [] };
  assert.deepEqual(
    generate(gpu, prompts, o).map((c) => c.tokens),
    generate(cpu, prompts, o).map((c) => c.tokens),
  );
  cpu.dispose();
  gpu.dispose();
});
