// One rank of the all-reduce measurement (bench/dp_bench.ts), started with torchrun's environment:
// sums a float32 tensor of argv[2] elements across the ranks argv[3] times after a warm-up, and
// prints rank 0's fastest time in ms (and, for a one-element tensor, the latency).
import * as pt from '../src/tensor/index.js';

const numel = Number(process.argv[2]);
const reps = Number(process.argv[3] ?? 10);
await pt.distributed.init({ timeoutMs: 120_000 });
const t = pt.ones([numel]);
const time = async (x: pt.Tensor) => {
  await pt.distributed.barrier();
  const t0 = performance.now();
  await pt.distributed.allReduce([x], 'sum');
  return performance.now() - t0;
};
await time(t);
let best = Infinity;
for (let i = 0; i < reps; i++) best = Math.min(best, await time(t));
const one = pt.ones([1]);
let latency = Infinity;
for (let i = 0; i < 20; i++) latency = Math.min(latency, await time(one));
if (pt.distributed.rank() === 0) process.stdout.write(`${JSON.stringify({ allreduce_ms: best, latency_ms: latency })}\n`);
await pt.distributed.destroy();
