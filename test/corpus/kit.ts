// The parts the malformed-input corpus is made of (cases.ts, data_cases.ts): what a case is, what a
// command must answer for it, and the argv that puts a case's input into a command of the real CLI
// (the base's valid files in every other slot, runs kept short).
import { join } from 'node:path';

/** The valid inputs the corrupt ones derive from, and that fill the other slots of a command. */
export interface Base {
  root: string;
  /** A tiny Llama folder with its tokenizer files. */
  model: string;
  sft: string;
  text: string;
  prefs: string;
  problems: string;
  genOut: string;
  /** A run folder (sft, max_steps 1, save_steps 1) with checkpoints/step-00000001, to resume. */
  run: string;
}

/** What a command must answer for one input. */
export type Expect =
  | 'accepted'
  | {
      error: RegExp;
      /** The line of the file the message must name (`<file>:<line>`), for problems in one row or line. */
      line?: number;
      /** The field the message must name. */
      field?: string;
      /** The path the message must name when it is not the input itself (e.g. model.safetensors in a folder). */
      names?: string;
    };

export type Command = 'sft' | 'pretrain' | 'rm' | 'grpo' | 'gen-data' | 'eval' | 'generate' | 'mix' | 'export' | 'serve';

/** Where the input goes in a command: data file, config file, model folder, tokenizer folder, run folder. */
export type Slot = 'data' | 'config' | 'model' | 'tokenizer' | 'run';

export interface Case {
  name: string;
  slot: Slot;
  what: string;
  /** Writes the input under `dir` (the corpus root) and returns its path. */
  build(dir: string, base: Base): string;
  reads: Partial<Record<Command, Expect>>;
  /** Further arguments for every command of this case. */
  extra?: string[];
}

/** argv for the real CLI: `input` in the case's slot, the base's valid files elsewhere, short runs. */
export function commandArgv(command: Command, slot: Slot, input: string, base: Base, out: string, extra: string[] = []): string[] {
  const data = slot === 'data' ? input : undefined;
  const model = slot === 'model' ? input : base.model;
  const config = slot === 'config' ? [`--config=${input}`] : [];
  const tokenizer = slot === 'tokenizer' ? [`--tokenizer=${input}`] : [];
  const train = ['--max-steps=1', '--per-device-train-batch-size=2', ...tokenizer];
  const outputDir = `--output-dir=${slot === 'run' ? input : out}`;
  // generate and gen-data read the tokenizer of the model folder: a bad tokenizer goes in as the model
  const genModel = slot === 'tokenizer' ? input : model;
  const argv: Record<Command, () => string[]> = {
    sft: () => ['sft', `--model-name-or-path=${model}`, `--dataset-name=${data ?? base.sft}`, outputDir, '--max-length=64', ...train],
    pretrain: () => [
      'pretrain',
      `--model-name-or-path=${model}`,
      `--dataset-name=${data ?? base.text}`,
      outputDir,
      '--max-length=64',
      ...train,
    ],
    rm: () => [
      'rm',
      `--model-name-or-path=${model}`,
      `--dataset-name=${data ?? base.prefs}`,
      outputDir,
      '--max-length=64',
      '--eval-fraction=0',
      ...train,
    ],
    grpo: () => [
      'grpo',
      `--model-name-or-path=${model}`,
      `--dataset-name=${data ?? base.problems}`,
      outputDir,
      '--num-generations=2',
      '--max-completion-length=4',
      '--gradient-accumulation-steps=1',
      '--reward-funcs=math',
      ...train,
    ],
    'gen-data': () => [
      'gen-data',
      `--teacher=${genModel}`,
      `--prompts=${data ?? base.problems}`,
      `--output=${join(out, 'gen.jsonl')}`,
      '--max-tokens=4',
      '--samples-per-prompt=1',
      '--require-think=false',
      '--drop-truncated=false',
    ],
    eval: () => ['eval', `--model=${genModel}`, `--data=${data ?? base.problems}`, '--max-new-tokens=4', `--output-dir=${out}`],
    generate: () => [
      'generate',
      `--model=${genModel}`,
      `--input=${data ?? base.problems}`,
      '--max-new-tokens=2',
      `--output=${join(out, 'gen.jsonl')}`,
    ],
    mix: () => ['mix', `--data=${data ?? base.genOut}`, `--output=${join(out, 'mix.jsonl')}`],
    export: () => ['export', `--model=${model}`, `--output=${join(out, 'model.gguf')}`],
    // only for folders it must refuse: a good one would serve until killed
    serve: () => ['serve', `--model=${genModel}`, '--port=0'],
  };
  return [...argv[command](), ...config, ...extra];
}

/** JSONL text of rows (a string is written as the line it is). */
export const jsonl = (...rows: unknown[]): string => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
/** The same expectation for each of `commands`. */
export const every = (commands: Command[], e: Expect): Partial<Record<Command, Expect>> => Object.fromEntries(commands.map((c) => [c, e]));
