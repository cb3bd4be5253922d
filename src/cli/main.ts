#!/usr/bin/env node
// posttrain <command> [--key=value ...]
// Commands so far: `example` (the engine's own example: MLPs on XOR and a regression) and `info`
// (build, threads, memory). Training commands arrive with their trainers.
import * as pt from '../tensor/index.js';
import { trainXor, trainRegression } from '../examples/mlp.js';

const HELP = `posttrain — post-train language models the DeepSeek-V3 way, from TypeScript

usage: posttrain <command> [--key=value ...]

commands:
  example [--steps=N] [--seed=S]   train small MLPs (XOR, sin regression) with AdamW and report
  info                             libtorch build, devices, threads, memory
  help                             this text
`;

function parseFlags(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unexpected argument '${a}' (flags look like --key=value)`);
    out[m[1]!] = m[2] ?? 'true';
  }
  return out;
}

function intFlag(flags: Record<string, string>, key: string, dflt: number): number {
  if (flags[key] === undefined) return dflt;
  const v = Number(flags[key]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${key} must be a non-negative integer, got '${flags[key]}'`);
  return v;
}

function example(flags: Record<string, string>): void {
  const seed = intFlag(flags, 'seed', 0);
  const steps = intFlag(flags, 'steps', 0);
  const t = pt.getThreads();
  console.log(`libtorch ${pt.buildInfo().torchVersion} · threads intra-op ${t.intraOp}, BLAS ${t.blas ?? 'n/a'} · seed ${seed}`);
  const tty = process.stdout.isTTY === true;
  const bar = (name: string, total: number) => (step: number, loss: number) => {
    const line = `${name} step ${String(step).padStart(5)}/${total}  loss ${loss.toExponential(3)}`;
    if (tty) process.stdout.write(`\r${line}`);
    else if (step % Math.max(100, Math.ceil(total / 4 / 100) * 100) === 0 || step === total) process.stdout.write(`${line}\n`);
  };
  const xorSteps = steps || 1000;
  const xor = trainXor(xorSteps, seed, bar('xor       ', xorSteps));
  if (tty) process.stdout.write('\n');
  const regSteps = steps || 2000;
  const reg = trainRegression(regSteps, seed, bar('regression', regSteps));
  process.stdout.write(tty ? '\n\n' : '\n');
  console.log('task        steps  final loss   accuracy  seconds');
  console.log(`xor         ${String(xor.steps).padStart(5)}  ${xor.finalLoss.toExponential(2).padStart(10)}  ${String((xor.accuracy ?? 0) * 100).padStart(7)}%  ${xor.seconds.toFixed(2).padStart(7)}`);
  console.log(`regression  ${String(reg.steps).padStart(5)}  ${reg.finalLoss.toExponential(2).padStart(10)}  ${'-'.padStart(8)}  ${reg.seconds.toFixed(2).padStart(7)}`);
  const m = pt.memory();
  console.log(`\nlive tensors ${m.liveTensors}, host bytes ${m.hostBytes}, rss ${(m.rss / 2 ** 20).toFixed(0)} MiB`);
}

function info(): void {
  const b = pt.buildInfo();
  console.log(JSON.stringify({ torchVersion: b.torchVersion, cuda: b.cuda, cudaDevices: b.cudaDevices, openblas: b.openblas,
    threads: pt.getThreads(), memory: pt.memory() }, null, 2));
}

function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'example': example(parseFlags(rest)); return 0;
      case 'info': info(); return 0;
      case undefined: case 'help': case '--help': case '-h': process.stdout.write(HELP); return 0;
      default:
        process.stderr.write(`posttrain: unknown command '${cmd}'\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    process.stderr.write(`posttrain ${cmd}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
