// The scale row of `npm run bench` (issue [4/7]): a Qwen2.5-0.5B-shaped model (its config.json
// shape: 24 layers, hidden 896, 14/2 heads, intermediate 4864, vocab 151,936, tied embeddings;
// random weights) against bench/pytorch_scale_ref.py, the same shape in PyTorch eager with Hugging
// Face's full-logits loss, in the same command. Cases, each in its own process so its peak RSS is
// its own: an SFT step (full and LoRA, with and without gradient checkpointing) — the step's time
// (best after the first, which allocates the optimizer state) and the process's peak RSS — and
// greedy generation tokens/s at batch 1 and 8.
// This file is both the orchestrator (runScaleBench) and the child (`node scale_bench.js --child=JSON`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pt from '../src/tensor/index.js';
import { createModel, forwardBackward, type CausalLM } from '../src/models/index.js';
import { applyLora } from '../src/models/lora.js';
import { AdamW } from '../src/optim/index.js';
import { crossEntropyLoss, tokenHeadLoss } from '../src/trainers/token_losses.js';
import { kdPerToken } from '../src/trainers/kd_loss.js';
import type { TokenHead } from '../src/nn/chunked_head.js';
import { generate } from '../src/generation/index.js';

export const QWEN25_05B = {
  model_type: 'qwen2',
  vocab_size: 151936,
  hidden_size: 896,
  intermediate_size: 4864,
  num_hidden_layers: 24,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  max_position_embeddings: 32768,
  rope_theta: 1000000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
};

export interface ScaleCase {
  case: 'sft' | 'generate' | 'distill';
  lora?: boolean;
  ckpt?: boolean;
  batch: number;
  seq?: number;
  steps?: number;
  prompt?: number;
  new?: number;
  /** logits_chunk_size for ours (0: automatic). */
  chunk?: number;
  layers?: number;
  /** Ours only: 'cpu' (default) or 'cuda' (scripts/gpu_check.sh), and bf16 mixed precision. */
  device?: string;
  bf16?: boolean;
}

export interface ScaleResult {
  step_s?: number;
  tokens_per_s?: number;
  peak_rss_mib: number;
  loss?: number;
}

const LORA = { r: 16, alpha: 32, dropout: 0, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };

function sftCase(model: CausalLM, c: ScaleCase): ScaleResult {
  if (c.lora) applyLora(model, LORA, new pt.Generator(1));
  model.train();
  const params = model.trainableParameters();
  const opt = new AdamW(params, { lr: 1e-5, beta1: 0.9, beta2: 0.95, weightDecay: 0 });
  const T = c.seq!;
  const ids = pt
    .randint(0, QWEN25_05B.vocab_size, [c.batch, T + 1], { generator: new pt.Generator(2) })
    .to(model.device)
    .keep(); // (B, T+1)
  const inputs = ids.narrow(1, 0, T).contiguous().keep(); // (B, T)
  const targets = ids.narrow(1, 1, T).contiguous().keep(); // (B, T): every position trained, as the reference
  const times: number[] = [];
  let loss = NaN;
  for (let s = 0; s < (c.steps ?? 2); s++) {
    const t = performance.now();
    opt.zeroGrad();
    loss = forwardBackward(
      model,
      inputs,
      {},
      (hidden) => crossEntropyLoss(model, hidden, targets, 1 / (c.batch * T), { logits_chunk_size: c.chunk ?? 0 }),
      { gradientCheckpointing: c.ckpt ?? false },
    );
    pt.clipGradNorm(params, 1);
    opt.step();
    times.push((performance.now() - t) / 1000);
  }
  return { step_s: Math.min(...(times.length > 1 ? times.slice(1) : times)), loss, peak_rss_mib: 0 };
}

/**
 * One distillation step with a same-shape teacher, as the distill trainer computes it: the teacher's
 * hidden states without grad, forward KL per token against its logits, chunk by chunk (chunk 0:
 * automatic) or over the whole logits of both models at once (chunk ≥ tokens: the full-logits way).
 */
function distillCase(student: CausalLM, c: ScaleCase): ScaleResult {
  const teacher = createModel({ ...QWEN25_05B, num_hidden_layers: c.layers ?? 24 }, { seed: 1, device: student.device })
    .eval()
    .freeze();
  student.train();
  const params = student.trainableParameters();
  const opt = new AdamW(params, { lr: 1e-5, weightDecay: 0 });
  const T = c.seq!;
  const inputs = pt
    .randint(0, QWEN25_05B.vocab_size, [c.batch, T], { generator: new pt.Generator(2) })
    .to(student.device)
    .keep(); // (B, T)
  const times: number[] = [];
  let loss = NaN;
  for (let s = 0; s < (c.steps ?? 1); s++) {
    const t = performance.now();
    opt.zeroGrad();
    loss = pt.scope(() => {
      const th = pt.noGrad(() => teacher.hiddenStates(inputs)); // (B, T, H)
      const rows = th.reshape(-1, th.size(-1)); // (B·T, H)
      const tw = teacher.headWeight();
      const head: TokenHead = (logits, start) => {
        const tl = pt.noGrad(() => pt.linear(rows.narrow(0, start, logits.size(0)), tw)); // (n, V)
        return [kdPerToken(logits.unsqueeze(0), tl.unsqueeze(0), { loss: 'forward_kl' }).squeeze(0)];
      };
      const w = pt.full([c.batch * T], 1 / (c.batch * T), { dtype: 'float32', device: student.device });
      return forwardBackward(
        student,
        inputs,
        {},
        (h) => tokenHeadLoss(student, h, head, { weights: [w] }, { logits_chunk_size: c.chunk ?? 0 }).loss,
        {
          gradientCheckpointing: c.ckpt ?? false,
        },
      );
    });
    pt.clipGradNorm(params, 1);
    opt.step();
    times.push((performance.now() - t) / 1000);
  }
  return { step_s: Math.min(...times), loss, peak_rss_mib: 0 };
}

function generateCase(model: CausalLM, c: ScaleCase): ScaleResult {
  model.eval();
  const g = new pt.Generator(3);
  const prompts = Array.from({ length: c.batch }, () =>
    pt.scope(() => pt.randint(0, QWEN25_05B.vocab_size, [c.prompt!], { generator: g }).toFlatArray() as number[]),
  );
  const t = performance.now();
  const out = generate(model, prompts, { maxNewTokens: c.new!, temperature: 0, eosTokenIds: [] });
  const tokens = out.reduce((n, o) => n + o.tokens.length, 0);
  return { tokens_per_s: tokens / ((performance.now() - t) / 1000), peak_rss_mib: 0 };
}

function child(c: ScaleCase): void {
  const model = createModel({ ...QWEN25_05B, num_hidden_layers: c.layers ?? 24 }, { seed: 0, device: c.device ?? 'cpu' });
  if (c.bf16) model.autocast('bfloat16');
  const r = c.case === 'sft' ? sftCase(model, c) : c.case === 'distill' ? distillCase(model, c) : generateCase(model, c);
  r.peak_rss_mib = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify(r));
}

/**
 * A memory cgroup limited to capMiB (a machine with that much memory: the kernel's OOM killer stops
 * a process of it that needs more), or null where this process cannot make one (cgroup v1 or v2
 * memory controller, writable: root on a machine without systemd's delegation).
 */
function memoryCgroup(capMiB: number): { procs: string; remove: () => void } | null {
  const bytes = String(capMiB * 1024 * 1024);
  for (const [root, limitFile] of [
    ['/sys/fs/cgroup/memory', 'memory.limit_in_bytes'],
    ['/sys/fs/cgroup', 'memory.max'],
  ] as const) {
    const dir = join(root, `posttrain-bench-${process.pid}`);
    try {
      if (!existsSync(join(root, 'cgroup.procs'))) continue;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, limitFile), bytes);
      if (existsSync(join(dir, 'memory.swappiness'))) writeFileSync(join(dir, 'memory.swappiness'), '0');
      return { procs: join(dir, 'cgroup.procs'), remove: () => rmdirSync(dir) };
    } catch {
      try {
        rmdirSync(dir);
      } catch {
        /* not made */
      }
    }
  }
  return null;
}

/**
 * Runs one case in a fresh process of ours; with capMiB, inside a memory cgroup of that size
 * (skipped, with a reason, where none can be made). Returns the result, or why it did not finish.
 */
export function runOurs(c: ScaleCase, capMiB?: number): ScaleResult | { error: string } {
  const args = [fileURLToPath(import.meta.url), `--child=${JSON.stringify(c)}`];
  const cg = capMiB ? memoryCgroup(capMiB) : null;
  if (capMiB && !cg) return { error: 'no writable memory cgroup here (needs root): not measured' };
  try {
    const r = cg
      ? spawnSync('bash', ['-c', `echo $$ > ${cg.procs} && exec "$0" "$@"`, process.execPath, ...args], {
          encoding: 'utf8',
          maxBuffer: 1 << 24,
        })
      : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.signal === 'SIGKILL') return { error: `killed by the out-of-memory killer at the ${capMiB} MiB limit` };
    if (r.status !== 0)
      return {
        error: (r.stderr || `exit ${r.status}`)
          .trim()
          .split('\n')
          .filter((l) => l.trim() && !l.startsWith('    at '))
          .slice(-1)[0]!
          .slice(0, 300),
      };
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  } finally {
    cg?.remove();
  }
}

/** The same case in bench/pytorch_scale_ref.py. */
export function runTheirs(py: string, script: string, c: ScaleCase, blasThreads: number): ScaleResult | null {
  const args = ['--case', c.case, '--batch', String(c.batch)];
  if (c.case === 'sft')
    args.push('--seq', String(c.seq), '--steps', String(c.steps ?? 2), ...(c.lora ? ['--lora'] : []), ...(c.ckpt ? ['--ckpt'] : []));
  else args.push('--prompt', String(c.prompt), '--new', String(c.new));
  if (c.layers) args.push('--layers', String(c.layers));
  const r = spawnSync(py, [script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(blasThreads), OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) {
    console.error(`  ${script} ${args.join(' ')} failed: ${(r.stderr || '').trim().split('\n').pop()}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const arg = process.argv.find((a) => a.startsWith('--child='));
if (arg) child(JSON.parse(arg.slice(8)) as ScaleCase);
