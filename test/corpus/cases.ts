// A corpus of malformed inputs (and a few valid edge cases) for every kind of file the command line
// reads — data (JSONL, JSON, Parquet: training rows, preference pairs, prompts, problems, gen-data
// output), config files (YAML), model folders (config.json, safetensors), run folders being resumed,
// and tokenizer folders — each with the commands that read it and what each must answer: an error
// whose message matches `error` and names the file (and, for a problem in one row, the line and the
// field), or 'accepted' (exit 0). Every input is built here, bytes or text written into a temp
// folder, corrupt copies derived from one valid tiny setup (test/helpers/sft_setup.ts) where needed.
// corpus.test.ts runs each (case, command) pair through the real CLI.
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';

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

const jsonl = (...rows: unknown[]): string => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
const chat = (user: string, assistant: string) => ({
  messages: [
    { role: 'user', content: user },
    { role: 'assistant', content: assistant },
  ],
});
const GOOD = chat('what is 1 plus 2?', 'it is 3');
/** A row every reader takes: a conversation (sft, pretrain), a preference pair (rm), a problem (grpo, gen-data, eval), a prompt (generate), a gen-data sample (mix). */
const ANY = {
  ...GOOD,
  prompt: 'what is 1 plus 2?',
  chosen: '3',
  rejected: '4',
  question: 'what is 1 plus 2?',
  answer: '3',
  sample_type: 'teacher',
  problem_id: 'a',
};

/** Writes `content` to dir/data/<file> and returns the path. */
function dataFile(file: string, content: string | Uint8Array): (dir: string) => string {
  return (dir) => {
    mkdirSync(join(dir, 'data'), { recursive: true });
    const p = join(dir, 'data', file);
    writeFileSync(p, content);
    return p;
  };
}

function configFile(file: string, content: string): (dir: string) => string {
  return (dir) => {
    mkdirSync(join(dir, 'configs'), { recursive: true });
    const p = join(dir, 'configs', file);
    writeFileSync(p, content);
    return p;
  };
}

/** A copy of the base model folder as dir/models/<name>, changed by `change`. */
function modelCopy(name: string, change: (folder: string) => void, sub = 'models'): (dir: string, base: Base) => string {
  return (dir, base) => {
    const p = join(dir, sub, name);
    cpSync(base.model, p, { recursive: true });
    change(p);
    return p;
  };
}

/** The safetensors file's parts: 8-byte header length, header JSON, data. */
function safetensorsParts(file: string): {
  header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  data: Buffer;
} {
  const b = readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  return { header: JSON.parse(b.subarray(8, 8 + n).toString('utf8')) as never, data: b.subarray(8 + n) };
}

function safetensorsBytes(header: unknown, data: Buffer): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

const editJson = (file: string, edit: (o: Record<string, unknown>) => void): void => {
  const o = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(o);
  writeFileSync(file, JSON.stringify(o, null, 2));
};

const ALL_ROW_READERS: Command[] = ['sft', 'pretrain', 'rm', 'grpo', 'gen-data', 'eval', 'generate', 'mix'];
const every = (commands: Command[], e: Expect): Partial<Record<Command, Expect>> => Object.fromEntries(commands.map((c) => [c, e]));

const BAD_MODEL = /config\.json|safetensors|model/;

export const CASES: Case[] = [
  // ---- data: bytes and lines -------------------------------------------------------------------
  {
    name: 'jsonl-invalid-json',
    slot: 'data',
    what: 'JSONL whose second line is not JSON',
    build: dataFile('invalid_json.jsonl', jsonl(ANY, '{"messages": [oops')),
    reads: every(ALL_ROW_READERS, { error: /invalid JSON/i, line: 2 }),
  },
  {
    name: 'jsonl-invalid-utf8',
    slot: 'data',
    what: 'JSONL with a 0xFF byte inside a string on line 2',
    build: dataFile(
      'invalid_utf8.jsonl',
      Buffer.concat([Buffer.from(jsonl(ANY) + '{"prompt": "caf'), Buffer.from([0xff]), Buffer.from('", "completion": "ok"}\n')]),
    ),
    reads: every(ALL_ROW_READERS, { error: /UTF-8/, line: 2 }),
  },
  {
    name: 'nul-in-prompt',
    slot: 'data',
    what: 'a prompt string holding a NUL character (escaped \\u0000)',
    build: dataFile('nul_prompt.jsonl', jsonl({ prompt: 'what is\u0000 1+1?', completion: '2', question: 'q', answer: '2' })),
    reads: every(['sft', 'rm', 'grpo', 'gen-data', 'eval', 'generate'], { error: /control character|U\+0000/i, line: 1, field: 'prompt' }),
  },
  {
    name: 'u-fffe-in-content',
    slot: 'data',
    what: 'an assistant content holding U+FFFE (a noncharacter)',
    build: dataFile('fffe.jsonl', jsonl(chat('hi', 'a\ufffeb'))),
    reads: every(['sft', 'generate'], { error: /U\+FFFE/i, line: 1, field: 'messages[1].content' }),
  },
  {
    name: 'lone-surrogate',
    slot: 'data',
    what: 'a string with a lone surrogate escape \\ud800',
    build: dataFile('surrogate.jsonl', '{"prompt": "x\\ud800y", "completion": "z", "question": "x\\ud800y", "answer": "1"}\n'),
    reads: every(['sft', 'grpo', 'eval', 'generate'], { error: /surrogate/i, line: 1, field: 'prompt' }),
  },
  {
    name: 'blank-assistant',
    slot: 'data',
    what: 'a conversation whose only assistant turn is whitespace',
    build: dataFile('blank_assistant.jsonl', jsonl(GOOD, chat('hi', '   '))),
    reads: { sft: { error: /only whitespace.*nothing to train on/, line: 2, field: 'messages[1].content' } },
  },
  {
    name: 'empty-completion',
    slot: 'data',
    what: 'a prompt-completion row with an empty completion',
    build: dataFile('empty_completion.jsonl', jsonl({ prompt: 'say hi', completion: '' })),
    reads: { sft: { error: /empty string/, line: 1, field: 'completion' } },
  },
  {
    name: 'messages-wrong-type',
    slot: 'data',
    what: "'messages' is a string, not a list",
    build: dataFile('messages_string.jsonl', jsonl(GOOD, { messages: 'hello' })),
    reads: {
      ...every(['sft', 'generate'], { error: /must be a list of \{role, content\}, got string/, line: 2, field: 'messages' }),
      'gen-data': { error: /needs 'question', 'problem', 'prompt' or user 'messages'/, line: 2, field: 'question' },
    },
  },
  {
    name: 'unknown-role',
    slot: 'data',
    what: "a message with role 'robot'",
    build: dataFile(
      'unknown_role.jsonl',
      jsonl({
        messages: [
          { role: 'robot', content: 'beep' },
          { role: 'assistant', content: 'ok' },
        ],
      }),
    ),
    reads: { sft: { error: /robot/, line: 1, field: 'messages[0].role' } },
  },
  {
    name: 'system-not-first',
    slot: 'data',
    what: 'a system message after the user turn',
    build: dataFile(
      'system_second.jsonl',
      jsonl({
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'system', content: 'be brief' },
          { role: 'assistant', content: 'ok' },
        ],
      }),
    ),
    reads: { sft: { error: /system/, line: 1, field: 'messages[1].role' } },
  },
  {
    name: 'no-assistant-turn',
    slot: 'data',
    what: 'a conversation with only a user turn',
    build: dataFile('no_assistant.jsonl', jsonl(GOOD, GOOD, { messages: [{ role: 'user', content: 'hi' }] })),
    reads: { sft: { error: /assistant/, line: 3, field: 'messages' } },
  },
  {
    name: 'line-over-max-line-bytes',
    slot: 'data',
    what: 'a 20 MB line (over the 16 MiB default max_line_bytes)',
    build: dataFile('huge_line.jsonl', jsonl(GOOD, { prompt: 'x'.repeat(20 * 1024 * 1024), completion: 'y' })),
    reads: { sft: { error: /line is longer than max_line_bytes 16777216/, line: 2 } },
  },
  {
    name: 'line-over-lowered-max-line-bytes',
    slot: 'data',
    what: 'a 2 kB line, with --max_line_bytes=1024',
    build: dataFile('long_line.jsonl', jsonl(ANY, { prompt: 'x'.repeat(2048), completion: 'y', chosen: 'a', rejected: 'b' })),
    extra: ['--max_line_bytes=1024'],
    reads: every(['sft', 'pretrain', 'rm'], { error: /line is longer than max_line_bytes 1024/, line: 2 }),
  },
  {
    name: 'json-not-array',
    slot: 'data',
    what: 'a .json file holding one object, not an array of rows',
    build: dataFile('object.json', JSON.stringify(GOOD)),
    reads: every(['sft', 'eval'], { error: /expected a JSON array of objects, got object/, line: 1 }),
  },
  {
    name: 'json-syntax-error',
    slot: 'data',
    what: 'a .json array with a missing comma on line 4',
    build: dataFile('syntax.json', '[\n  {"prompt": "a", "completion": "b"},\n  {"prompt": "c",\n   "completion": "d" "x": 1}\n]\n'),
    reads: every(['rm', 'gen-data'], { error: /invalid JSON: Expected ','/, line: 4 }),
  },
  {
    name: 'empty-file',
    slot: 'data',
    what: 'a JSONL file of zero bytes',
    build: dataFile('empty.jsonl', ''),
    reads: { ...every(['sft', 'rm', 'grpo', 'gen-data', 'eval', 'generate'], { error: /empty file/, line: 1 }), mix: 'accepted' },
  },
  {
    name: 'only-blank-lines',
    slot: 'data',
    what: 'a JSONL file of blank and whitespace lines',
    build: dataFile('blank_lines.jsonl', '\n   \n\t\n\n'),
    reads: every(['pretrain', 'generate'], { error: /empty file \(only blank lines\)/, line: 1 }),
  },
  {
    name: 'bom-valid',
    slot: 'data',
    what: 'valid JSONL after a UTF-8 byte-order mark',
    build: dataFile('bom.jsonl', '\ufeff' + jsonl({ ...GOOD, question: 'what is 1 plus 2?', answer: '3', prompt: 'hi' })),
    reads: every(['sft', 'generate', 'eval'], 'accepted'),
  },
  {
    name: 'crlf-valid',
    slot: 'data',
    what: 'valid JSONL with CRLF line endings',
    build: dataFile(
      'crlf.jsonl',
      jsonl({ ...GOOD, question: 'q1', answer: '3' }, { ...GOOD, question: 'q2', answer: '4' }).replace(/\n/g, '\r\n'),
    ),
    reads: every(['sft', 'generate', 'eval'], 'accepted'),
  },
  {
    name: 'parquet-truncated',
    slot: 'data',
    what: 'a valid Parquet file cut to its first half',
    build: (dir) => {
      mkdirSync(join(dir, 'data'), { recursive: true });
      const p = join(dir, 'data', 'truncated.parquet');
      parquetWriteFile({
        filename: p,
        columnData: [
          { name: 'prompt', data: ['say hi', 'say bye', 'count'], type: 'STRING' },
          { name: 'completion', data: ['hi', 'bye', '1 2 3'], type: 'STRING' },
        ],
      });
      const b = readFileSync(p);
      writeFileSync(p, b.subarray(0, Math.floor(b.length / 2)));
      return p;
    },
    reads: every(['sft', 'generate'], { error: /not a readable Parquet file/, line: 1 }),
  },
  {
    name: 'parquet-not-parquet',
    slot: 'data',
    what: 'JSONL text saved as .parquet',
    build: dataFile('not.parquet', jsonl(GOOD)),
    reads: every(['rm', 'eval'], { error: /not a readable Parquet file/, line: 1 }),
  },
  {
    name: 'missing-data-file',
    slot: 'data',
    what: 'a data path that does not exist',
    build: (dir) => join(dir, 'data', 'nowhere.jsonl'),
    reads: every(['sft', 'rm', 'grpo', 'gen-data', 'eval', 'generate', 'mix'], {
      error: /cannot read file: ENOENT: no such file/,
      line: 1,
    }),
  },
  {
    name: 'pretrain-blank-text',
    slot: 'data',
    what: 'a text row whose text is empty',
    build: dataFile('blank_text.jsonl', jsonl({ text: 'some words' }, { text: '' })),
    reads: { pretrain: { error: /empty string/, line: 2, field: 'text' } },
  },
  // ---- data: preference pairs, prompts, problems, gen-data output ------------------------------------
  {
    name: 'preference-missing-rejected',
    slot: 'data',
    what: 'a preference row without rejected',
    build: dataFile('pref_no_rejected.jsonl', jsonl({ prompt: 'p', chosen: 'a', rejected: 'b' }, { prompt: 'p', chosen: 'a' })),
    reads: { rm: { error: /missing/, line: 2, field: 'rejected' } },
  },
  {
    name: 'preference-chosen-blank',
    slot: 'data',
    what: 'a preference row whose chosen is whitespace',
    build: dataFile('pref_blank_chosen.jsonl', jsonl({ prompt: 'p', chosen: ' \n ', rejected: 'b' })),
    reads: { rm: { error: /only whitespace/, line: 1, field: 'chosen' } },
  },
  {
    name: 'grpo-no-answer-column',
    slot: 'data',
    what: "GRPO prompts without the 'answer' column the math reward reads",
    build: dataFile('prompts_no_answer.jsonl', jsonl({ prompt: 'what is 2+2?' }, { prompt: 'what is 3+3?' })),
    reads: { grpo: { error: /answer/, field: 'answer' } },
  },
  {
    name: 'problems-without-question',
    slot: 'data',
    what: 'a problem row with only an answer',
    build: dataFile('problems_no_question.jsonl', jsonl({ question: 'what is 2+2?', answer: '4' }, { answer: '5' })),
    reads: {
      'gen-data': { error: /question/, line: 2, field: 'question' },
      eval: { error: /must be a string/, line: 2, field: 'question' },
      generate: { error: /needs a 'prompt' string or a 'messages' array/, line: 1 },
    },
  },
  {
    name: 'eval-problem-without-answer',
    slot: 'data',
    what: 'an evaluation problem without an answer',
    build: dataFile('problems_no_answer.jsonl', jsonl({ question: 'what is 2+2?', answer: '4' }, { question: 'what is 3+3?' })),
    reads: { eval: { error: /answer/, line: 2, field: 'answer' } },
  },
  {
    name: 'mix-bad-sample-type',
    slot: 'data',
    what: "gen-data output whose sample_type is 'student'",
    build: dataFile(
      'gen_bad_type.jsonl',
      jsonl({ ...GOOD, sample_type: 'teacher', problem_id: 'a' }, { ...GOOD, sample_type: 'student', problem_id: 'b' }),
    ),
    reads: { mix: { error: /field 'sample_type' must be 'teacher' or 'original', got "student"/, line: 2, field: 'sample_type' } },
  },
  // ---- configs ------------------------------------------------------------------------------------
  {
    name: 'yaml-syntax-error',
    slot: 'config',
    what: 'YAML with an unclosed flow sequence',
    build: configFile('syntax.yaml', 'learning_rate: 1e-5\nlora_target_modules: [q_proj, v_proj\nseed: 1\n'),
    reads: every(['sft', 'generate'], { error: /YAML|yaml/, line: 3 }),
  },
  {
    name: 'yaml-top-level-list',
    slot: 'config',
    what: 'a config file that is a list',
    build: configFile('list.yaml', '- learning_rate: 1e-5\n- seed: 1\n'),
    reads: every(['sft', 'eval'], { error: /mapping|list|object/i }),
  },
  {
    name: 'config-unknown-key',
    slot: 'config',
    what: "'lr' instead of learning_rate",
    build: configFile('unknown_key.yaml', 'lr: 1e-5\n'),
    reads: every(['sft', 'rm'], { error: /unknown field 'lr' \(did you mean 'learning_rate'\?\)/ }),
  },
  {
    name: 'config-wrong-type',
    slot: 'config',
    what: 'learning_rate: fast',
    build: configFile('wrong_type.yaml', 'learning_rate: fast\n'),
    reads: every(['sft', 'rm'], { error: /learning_rate.*number/, field: 'learning_rate' }),
  },
  {
    name: 'config-out-of-bounds',
    slot: 'config',
    what: 'warmup_ratio: 2 (at most 1) and a negative top_p',
    build: configFile('bounds.yaml', 'warmup_ratio: 2\ntop_p: -1\n'),
    reads: {
      sft: { error: /warmup_ratio.*<= 1/, field: 'warmup_ratio' },
      generate: { error: /unknown field 'warmup_ratio'|top_p/ },
    },
  },
  {
    name: 'config-unknown-enum',
    slot: 'config',
    what: 'lr_scheduler_type: cosin',
    build: configFile('enum.yaml', 'lr_scheduler_type: cosin\n'),
    reads: { sft: { error: /lr_scheduler_type.*cosin/, field: 'lr_scheduler_type' } },
  },
  {
    name: 'config-unknown-enum-eval',
    slot: 'config',
    what: 'format: gsm9k for eval',
    build: configFile('enum_eval.yaml', 'format: gsm9k\n'),
    reads: { eval: { error: /format.*gsm9k/, field: 'format' } },
  },
  {
    name: 'config-missing-file',
    slot: 'config',
    what: 'a --config path that does not exist',
    build: (dir) => join(dir, 'configs', 'nowhere.yaml'),
    reads: every(['sft', 'generate'], { error: /no such file|not found|ENOENT|cannot read/i }),
  },
  // ---- model folders ------------------------------------------------------------------------------------
  {
    name: 'model-no-config',
    slot: 'model',
    what: 'a model folder without config.json',
    build: modelCopy('no_config', (p) => rmSync(join(p, 'config.json'))),
    reads: every(['sft', 'generate', 'eval', 'export', 'gen-data', 'serve'], { error: /missing config\.json/, names: 'config.json' }),
  },
  {
    name: 'model-config-invalid-json',
    slot: 'model',
    what: 'config.json cut in the middle',
    build: modelCopy('config_invalid', (p) =>
      writeFileSync(join(p, 'config.json'), readFileSync(join(p, 'config.json'), 'utf8').slice(0, 40)),
    ),
    reads: every(['sft', 'generate', 'eval', 'export', 'serve'], {
      error: /invalid JSON in config\.json: line 3 column 14/,
      names: 'config.json',
    }),
  },
  {
    name: 'model-unknown-type',
    slot: 'model',
    what: "config.json with model_type 'gpt99'",
    build: modelCopy('unknown_type', (p) => editJson(join(p, 'config.json'), (o) => (o['model_type'] = 'gpt99'))),
    reads: every(['sft', 'generate', 'eval', 'export'], { error: /gpt99/, names: 'config.json' }),
  },
  {
    name: 'model-no-weights',
    slot: 'model',
    what: 'a model folder without model.safetensors',
    build: modelCopy('no_weights', (p) => rmSync(join(p, 'model.safetensors'))),
    reads: every(['sft', 'generate', 'export'], { error: /safetensors/ }),
  },
  {
    name: 'safetensors-truncated',
    slot: 'model',
    what: 'model.safetensors cut to half its length',
    build: modelCopy('st_truncated', (p) => {
      const f = join(p, 'model.safetensors');
      const b = readFileSync(f);
      writeFileSync(f, b.subarray(0, Math.floor(b.length / 2)));
    }),
    reads: every(['sft', 'generate', 'eval', 'export', 'serve'], {
      error: /reach past the end of the data section .*the file is truncated/,
      names: 'model.safetensors',
    }),
  },
  {
    name: 'safetensors-header-too-long',
    slot: 'model',
    what: 'a header length field larger than the file',
    build: modelCopy('st_header_len', (p) => {
      const f = join(p, 'model.safetensors');
      const b = readFileSync(f);
      b.writeBigUInt64LE(BigInt(b.length * 4), 0);
      writeFileSync(f, b);
    }),
    reads: every(['generate', 'export'], { error: /header/i, names: 'model.safetensors' }),
  },
  {
    name: 'safetensors-header-not-json',
    slot: 'model',
    what: 'a header that is not JSON',
    build: modelCopy('st_header_json', (p) => {
      const f = join(p, 'model.safetensors');
      const b = readFileSync(f);
      b.fill(0x7a, 8, 20); // "zzzz…" over the start of the header
      writeFileSync(f, b);
    }),
    reads: every(['generate', 'export', 'sft'], { error: /header|JSON/i, names: 'model.safetensors' }),
  },
  {
    name: 'safetensors-wrong-shape',
    slot: 'model',
    what: 'embed_tokens stored with the wrong shape for the config',
    build: modelCopy('st_shape', (p) => {
      const f = join(p, 'model.safetensors');
      const { header, data } = safetensorsParts(f);
      const key = Object.keys(header).find((k) => k.includes('embed_tokens'))!;
      const [rows, cols] = header[key]!.shape as [number, number];
      header[key]!.shape = [cols, rows];
      writeFileSync(f, safetensorsBytes(header, data));
    }),
    // the folder and the tensor are named (which of config.json and the weights is wrong, the message cannot know)
    reads: every(['generate', 'eval', 'export', 'sft'], {
      error: /has shape \[32, \d+\], the model expects \[\d+, 32\]/,
      names: 'model.embed_tokens.weight',
    }),
  },
  {
    name: 'model-config-vocab-mismatch',
    slot: 'model',
    what: 'config.json vocab_size not what the weights hold',
    build: modelCopy('vocab_mismatch', (p) => editJson(join(p, 'config.json'), (o) => (o['vocab_size'] = 999))),
    reads: every(['generate', 'export'], { error: /the model expects \[999, 32\]/, names: 'model.embed_tokens.weight' }),
  },
  // ---- run folders ------------------------------------------------------------------------------------
  {
    name: 'run-trainer-state-corrupt',
    slot: 'run',
    what: "a run folder's checkpoints/step-00000001/trainer_state.json cut short, resumed with more steps",
    build: (dir, base) => {
      const p = join(dir, 'runs', 'trainer_state');
      cpSync(base.run, p, { recursive: true });
      const f = join(p, 'checkpoints', 'step-00000001', 'trainer_state.json');
      writeFileSync(f, readFileSync(f, 'utf8').slice(0, 20));
      return p;
    },
    extra: ['--max-steps=2', '--resume-with-changed-config'],
    reads: { sft: { error: /JSON|trainer state/i, names: 'trainer_state.json' } },
  },
  {
    name: 'run-config-corrupt',
    slot: 'run',
    what: "a run folder's config.json not JSON, resumed",
    build: (dir, base) => {
      const p = join(dir, 'runs', 'config');
      cpSync(base.run, p, { recursive: true });
      writeFileSync(join(p, 'config.json'), '{"learning_rate": ');
      return p;
    },
    extra: ['--max-steps=2'],
    reads: { sft: { error: /JSON/i, names: 'config.json' } },
  },
  // ---- tokenizers ------------------------------------------------------------------------------------
  {
    name: 'tokenizer-json-invalid',
    slot: 'tokenizer',
    what: 'tokenizer.json that is not JSON',
    build: modelCopy('tok_invalid', (p) => writeFileSync(join(p, 'tokenizer.json'), '{"version": "1.0", "model": {'), 'tokenizers'),
    reads: every(['sft', 'generate', 'serve'], { error: /invalid JSON/, names: 'tokenizer.json' }),
  },
  {
    name: 'tokenizer-json-no-model',
    slot: 'tokenizer',
    what: "tokenizer.json without its 'model'",
    build: modelCopy('tok_no_model', (p) => editJson(join(p, 'tokenizer.json'), (o) => delete o['model']), 'tokenizers'),
    reads: every(['sft', 'generate'], { error: /model/, names: 'tokenizer.json' }),
  },
  {
    name: 'tokenizer-config-invalid',
    slot: 'tokenizer',
    what: 'tokenizer_config.json that is not JSON',
    build: modelCopy('tok_config_invalid', (p) => writeFileSync(join(p, 'tokenizer_config.json'), '{"eos_token": '), 'tokenizers'),
    reads: every(['sft', 'generate'], { error: /JSON/, names: 'tokenizer_config.json' }),
  },
  {
    name: 'chat-template-syntax-error',
    slot: 'tokenizer',
    what: 'a chat_template with an unclosed Jinja block',
    build: modelCopy(
      'tok_template',
      (p) => editJson(join(p, 'tokenizer_config.json'), (o) => (o['chat_template'] = '{% for m in messages %}{{ m.content }')),
      'tokenizers',
    ),
    reads: every(['sft', 'generate'], { error: /chat template "default": does not parse/, names: 'tokenizer_config.json' }),
  },
  {
    name: 'tokenizer-files-missing',
    slot: 'tokenizer',
    what: 'a tokenizer folder without tokenizer.json',
    build: (dir, base) => {
      const p = join(dir, 'tokenizers', 'missing');
      mkdirSync(p, { recursive: true });
      copyFileSync(join(base.model, 'tokenizer_config.json'), join(p, 'tokenizer_config.json'));
      return p;
    },
    reads: { sft: { error: /tokenizer\.json/ } },
  },
];
