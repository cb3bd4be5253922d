// A whole training loop in miniature, for the engine's tests: small multi-layer perceptrons trained
// with AdamW on XOR and on a 1-D regression (y = sin(2x) on [-2, 2]). It exercises creation, linear
// layers, activations, losses, autograd, the optimizer and scopes in a few seconds, and knows
// nothing about language models.
import * as pt from '../../src/tensor/index.js';
import { keep } from '../../src/tensor/index.js';
import { AdamW } from '../../src/optim/index.js';

export interface MlpRun {
  task: 'xor' | 'regression';
  steps: number;
  finalLoss: number;
  losses: number[]; // every 100 steps
  accuracy?: number;
  seconds: number;
}

/** Layers as (weight (out, in), bias (out)) pairs, initialised like torch.nn.Linear. */
function mlp(sizes: number[], gen: pt.Generator): pt.Tensor[] {
  const params: pt.Tensor[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const bound = 1 / Math.sqrt(sizes[i]!);
    params.push(
      pt
        .uniform_(pt.empty([sizes[i + 1]!, sizes[i]!]), -bound, bound, gen)
        .requiresGrad_()
        .keep(),
    );
    params.push(
      pt
        .uniform_(pt.empty([sizes[i + 1]!]), -bound, bound, gen)
        .requiresGrad_()
        .keep(),
    );
  }
  return params;
}

function forward(params: pt.Tensor[], x: pt.Tensor): pt.Tensor {
  let h = x; // (N, in)
  for (let i = 0; i < params.length; i += 2) {
    h = pt.linear(h, params[i]!, params[i + 1]!); // (N, out)
    if (i + 2 < params.length) h = h.tanh();
  }
  return h;
}

function train(
  task: MlpRun['task'],
  sizes: number[],
  x: pt.Tensor,
  y: pt.Tensor,
  steps: number,
  lr: number,
  seed: number,
  loss: (pred: pt.Tensor) => pt.Tensor,
  onProgress?: (step: number, loss: number) => void,
): { params: pt.Tensor[]; run: MlpRun } {
  const t0 = performance.now();
  const params = mlp(sizes, new pt.Generator(seed));
  const opt = new AdamW(params, { lr, weightDecay: 0 });
  const losses: number[] = [];
  let last = NaN;
  for (let step = 1; step <= steps; step++) {
    last = pt.scope(() => {
      opt.zeroGrad();
      const l = loss(forward(params, x));
      l.backward();
      opt.step();
      return l.item() as number;
    });
    if (step % 100 === 0 || step === steps) {
      losses.push(last);
      onProgress?.(step, last);
    }
  }
  opt.dispose();
  return { params, run: { task, steps, finalLoss: last, losses, seconds: (performance.now() - t0) / 1000 } };
}

/** 2-8-1 network, binary cross-entropy on logits. */
export function trainXor(steps = 1000, seed = 0, onProgress?: (step: number, loss: number) => void): MlpRun {
  const x = pt
    .tensor(
      [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ],
      { dtype: 'float32' },
    )
    .keep(); // (4, 2)
  const y = pt.tensor([[0], [1], [1], [0]], { dtype: 'float32' }).keep(); // (4, 1)
  const bce = (logits: pt.Tensor) =>
    logits
      .logSigmoid()
      .mul(y)
      .add(logits.neg().logSigmoid().mul(y.rsub(1)))
      .mean()
      .neg();
  const { params, run } = train('xor', [2, 8, 1], x, y, steps, 0.05, seed, bce, onProgress);
  run.accuracy = pt.scope(() => forward(params, x).gt(0).eq(y.bool()).float().mean().item() as number);
  for (const t of [...params, x, y]) t.dispose();
  return run;
}

/** 1-32-32-1 network, mean squared error against sin(2x) on 64 points. */
export function trainRegression(steps = 2000, seed = 0, onProgress?: (step: number, loss: number) => void): MlpRun {
  const [x, y] = keep(
    pt.scope(() => {
      const x = pt.linspace(-2, 2, 64).view(64, 1); // (64, 1)
      return [x, x.mul(2).sin()]; // (64, 1)
    }),
  );
  const { params, run } = train('regression', [1, 32, 32, 1], x, y, steps, 0.01, seed, (p) => pt.mseLoss(p, y), onProgress);
  for (const t of [...params, x, y]) t.dispose();
  return run;
}
