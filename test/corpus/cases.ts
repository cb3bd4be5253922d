// A corpus of malformed inputs (and a few valid edge cases) for every kind of file the command line
// reads — data (JSONL, JSON, Parquet: training rows, preference pairs, prompts, problems, gen-data
// output), config files (YAML), model folders (config.json, safetensors), run folders being resumed,
// and tokenizer folders — each with the commands that read it and what each must answer: an error
// whose message matches `error` and names the file (and, for a problem in one row, the line and the
// field), or 'accepted' (exit 0). Every input is built here, bytes or text written into a temp
// folder, corrupt copies derived from one valid tiny setup (test/helpers/sft_setup.ts) where needed.
// The data files are in data_cases.ts, the case type and the argv of each command in kit.ts;
// corpus.test.ts runs each (case, command) pair through the real CLI.
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_CASES } from './data_cases.js';
import { every, type Base, type Case } from './kit.js';

export { commandArgv, type Base, type Case, type Command, type Expect, type Slot } from './kit.js';

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

export const CASES: Case[] = [
  ...DATA_CASES,
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
