#!/usr/bin/env node
// posttrain <command> [--key=value ...]: the command line. The operations with a config (sft,
// pretrain, rm, grpo, distill, gen-data, mix) go through the kinds table as one-stage runs
// (cli/kind.ts); `run` and `demo` run recipes of those stages; the rest are tools (serve, annotate,
// eval, generate, chat, example, info). Exit codes: 0 done, 1 failed (the message names file and
// field), 2 a usage error, 3 a recipe paused at the annotation gate.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as pt from '../tensor/index.js';
import { trainXor, trainRegression } from '../examples/mlp.js';
import { Flags } from './flags.js';
import { generateCommand } from './generate.js';
import { chatCommand } from './chat.js';
import { demoCommand } from './demo.js';
import { evalCommand } from './eval.js';
import { serveCommand } from './serve.js';
import { annotateCommand } from './annotate.js';
import { runCommand } from './run.js';
import { kindCommand, UsageError } from './kind.js';

const HELP = `posttrain — post-train language models the DeepSeek-V3 way, from TypeScript

usage: posttrain <command> [--key=value ...]

commands:
  run RECIPE.yaml [--out=DIR]      the whole post-training recipe as stages (pretrain, sft, rm, grpo, distill,
                                   gen-data, mix, annotate, eval): cached, resumable, report.html at the end
  demo [--quick] [--out=DIR]       the recipe on the built-in task: base → long-CoT expert (SFT + RL) → reasoning data
                                   (rejection sampling) → annotation gate → Table 9's student SFT runs (short CoT vs
                                   the teacher's samples) → judge, RM → GRPO → evaluation of every model, report.html
  sft --config=FILE.yaml [--key=value ...]
                                   supervised fine-tuning (TRL's SFTConfig names, DeepSeek-V3's defaults)
  pretrain --config=FILE.yaml [--key=value ...]
                                   the same trainer on text rows, loss on every token
  grpo --config=FILE.yaml [--key=value ...]
                                   GRPO: group sampling, rule / judge / reward-model rewards routed per row,
                                   clipped surrogate with KL
  rm --config=FILE.yaml [--key=value ...]
                                   a scalar reward model from an SFT folder on preference pairs (Bradley-Terry)
  distill --config=FILE.yaml [--key=value ...]
                                   token-level distillation from a teacher folder (same tokenizer): forward KL,
                                   reverse KL or generalised JSD(β), on-policy fraction λ (GKD)
  mix --config=FILE.yaml [--key=value ...]
                                   the mix ratio of gen-data's two sample types (a length control of Table 9)
  gen-data --config=FILE.yaml [--key=value ...]
                                   expert data with rejection sampling: a teacher (folder or server URL) answers
                                   with a reflection/verification system prompt; verified samples of both types,
                                   decontaminated, with provenance; resumable
  serve --model=DIR [--host=127.0.0.1 --port=8000 --api-key=KEY]
                                   an OpenAI-compatible API: /v1/chat/completions, /v1/completions (streaming, logprobs)
  annotate --queue=DIR [--host=127.0.0.1 --port=8080]
                                   the annotation page for a queue of model answers: accept (a), edit (e), reject (r)
  annotate --queue=DIR --fill --model=DIR|URL [--served-model=NAME] --prompts=FILE.jsonl
           [--max-tokens=N --temperature=T --seed=S] [--auto-accept] [--export=OUT.jsonl]
                                   a generalist model answers prompts into the queue (resumable); --auto-accept
                                   accepts undecided items as 'auto'; --export writes SFT rows of accepted + edited
  eval --model=DIR --data=FILE.jsonl [--format=auto|gsm8k|math|builtin] [--k=N] [--output=FILE.jsonl]
  eval --url=URL --served-model=NAME [--tokenizer=DIR --concurrency=N] --data=...
                                   math evaluation of a folder or an OpenAI-compatible server: greedy accuracy,
                                   pass@1 over k samples, pass@k, maj@k, response lengths
                                   (also --temperature --top-p --max-new-tokens --limit)
  generate --model=DIR --input=FILE.jsonl [--output=FILE.jsonl]
           [--max-new-tokens=N --temperature=T --top-k=K --top-p=P --min-p=P
            --repetition-penalty=R --seed=S --batch-size=N --stop=STR --logprobs]
                                   completions for JSONL rows with 'prompt' or 'messages'
  chat --model=DIR [--system=TEXT] [sampling flags as above]
                                   interactive chat, tokens streamed as they are sampled
  example [--steps=N] [--seed=S]   train small MLPs (XOR, sin regression) with AdamW and report
  info                             libtorch build, devices, threads, memory
  help, --version                  this text; the version
  <kind> --help                    every field of a kind's config (sft, pretrain, rm, grpo, distill, gen-data, mix),
                                   with type, default and meaning; <kind> --json-schema prints its JSON Schema
`;

function example(flags: Flags): void {
  const seed = flags.int('seed', 0);
  const steps = flags.int('steps', 0);
  flags.rejectUnknown('example');
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
  console.log(
    `xor         ${String(xor.steps).padStart(5)}  ${xor.finalLoss.toExponential(2).padStart(10)}  ${String((xor.accuracy ?? 0) * 100).padStart(7)}%  ${xor.seconds.toFixed(2).padStart(7)}`,
  );
  console.log(
    `regression  ${String(reg.steps).padStart(5)}  ${reg.finalLoss.toExponential(2).padStart(10)}  ${'-'.padStart(8)}  ${reg.seconds.toFixed(2).padStart(7)}`,
  );
  const m = pt.memory();
  console.log(`\nlive tensors ${m.liveTensors}, host bytes ${m.hostBytes}, rss ${(m.rss / 2 ** 20).toFixed(0)} MiB`);
}

/** The package's version, from its package.json. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string })
    .version;
}

function info(): void {
  const b = pt.buildInfo();
  console.log(
    JSON.stringify(
      {
        torchVersion: b.torchVersion,
        cuda: b.cuda,
        cudaDevices: b.cudaDevices,
        openblas: b.openblas,
        threads: pt.getThreads(),
        malloc: pt.mallocPolicy(),
        memory: pt.memory(),
      },
      null,
      2,
    ),
  );
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'demo':
        await demoCommand(rest);
        return 0;
      case 'sft':
      case 'pretrain':
      case 'grpo':
      case 'rm':
      case 'distill':
      case 'gen-data':
      case 'mix':
        await kindCommand(cmd, rest);
        return 0;
      case 'serve':
        await serveCommand(rest);
        return 0;
      case 'annotate':
        await annotateCommand(rest);
        return 0;
      case 'eval':
        await evalCommand(rest);
        return 0;
      case 'run':
        return await runCommand(rest);
      case 'generate':
        await generateCommand(rest);
        return 0;
      case 'chat':
        await chatCommand(rest);
        return 0;
      case 'example':
        example(new Flags(rest));
        return 0;
      case 'info':
        info();
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return 0;
      case '--version':
      case 'version':
        process.stdout.write(`posttrain ${packageVersion()}\n`);
        return 0;
      default:
        process.stderr.write(`posttrain: unknown command '${cmd}'\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    process.stderr.write(`posttrain ${cmd}: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
