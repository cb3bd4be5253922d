#!/usr/bin/env node
// posttrain <command> [--config=FILE.yaml] [--key=value ...]: the command line. One table of
// commands, each with a schema (cli/args.ts: one argument parser, one validation path, `--help`
// from the schema): the operation kinds (pretrain, sft, rm, grpo, distill, gen-data, mix, annotate,
// eval) as one-stage runs through the kinds table a recipe's stages use (cli/kind.ts); `run` and
// `demo` run recipes of those stages; the rest are tools (annotate-page, serve, generate, chat,
// info, launch: several data-parallel ranks of a trainer, report: report.html for run folders,
// export: GGUF for llama.cpp).
// Exit codes: 0 done, 1 failed (the message names file and field), 2 a usage error, 3 a run
// waiting at the annotation gate.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as pt from '../tensor/index.js';
import { jsonSchema } from '../common/schema.js';
import { command, commandHelp, parseArgs, resolveArgs, UsageError, type CommandSpec } from './args.js';
import { kindCommands } from './kind.js';
import { runCommand } from './run.js';
import { demoCommand } from './demo.js';
import { annotatePageCommand } from './annotate.js';
import { serveCommand } from './serve.js';
import { generateCommand } from './generate.js';
import { chatCommand } from './chat.js';
import { launchCommand } from './launch.js';
import { reportCommand } from './report.js';
import { exportCommand } from './export.js';

const infoCommand = command({
  summary: 'libtorch build, devices, threads, memory (JSON)',
  schema: {},
  run: async () => {
    info();
    return 0;
  },
});

/** Every command by name, in the order the help lists them. */
function commands(): Record<string, CommandSpec> {
  return {
    run: runCommand,
    demo: demoCommand,
    ...kindCommands(),
    'annotate-page': annotatePageCommand,
    serve: serveCommand,
    generate: generateCommand,
    chat: chatCommand,
    info: infoCommand,
    launch: launchCommand,
    report: reportCommand,
    export: exportCommand,
  } as unknown as Record<string, CommandSpec>;
}

/** Words wrapped to `width` columns, every line after the first indented by `indent`. */
function wrap(text: string, indent: number, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

function help(table: Record<string, CommandSpec>): string {
  const rows = Object.entries(table).map(([name, c]) => {
    const lead = `  ${name}${c.positional ? ` ${c.positional.toUpperCase()}` : ''}`;
    return `${lead.padEnd(17)} ${wrap(c.summary, 18, 110)}`;
  });
  return `posttrain — post-train language models the DeepSeek-V3 way, from TypeScript

usage: posttrain <command> [--config=FILE.yaml] [--key=value ...]
       posttrain <command> --help          every field of the command: type, default, meaning
       posttrain <command> --json-schema   the JSON Schema of its config file, for editors
       posttrain --version

commands:
${rows.join('\n')}
`;
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
        devices: pt.devices(),
        mixedPrecision: b.cuda ? ['bf16', 'fp16'] : ['bf16 (fp16 needs CUDA: no float16 matmul on the CPU)'],
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
  const table = commands();
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(help(table));
    return 0;
  }
  if (cmd === '--version' || cmd === 'version') {
    process.stdout.write(`posttrain ${packageVersion()}\n`);
    return 0;
  }
  const c = table[cmd];
  if (!c) {
    process.stderr.write(`posttrain: unknown command '${cmd}'\n\n${help(table)}`);
    return 2;
  }
  try {
    // a command that runs another (launch) takes its own flags up to the first bare argument
    const cut = c.trailingCommand ? rest.findIndex((x) => !x.startsWith('-')) : -1;
    const own = cut >= 0 ? rest.slice(0, cut) : rest;
    const trailing = cut >= 0 ? rest.slice(cut) : [];
    const a = parseArgs(own, c.positional, c.positional !== undefined && c.schema[c.positional]?.type === 'strings');
    if (a.help) {
      process.stdout.write(commandHelp(cmd, c));
      return 0;
    }
    if (a.jsonSchema) {
      process.stdout.write(`${JSON.stringify(jsonSchema(c.schema, `posttrain ${cmd}`), null, 2)}\n`);
      return 0;
    }
    return await c.run(resolveArgs(c, a), a.configFile ?? 'the command line', trailing);
  } catch (err) {
    process.stderr.write(`posttrain ${cmd}: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
