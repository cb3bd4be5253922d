// `posttrain generate --model DIR --input prompts.jsonl [--output out.jsonl]`: completions for
// JSONL prompts. Each input row has `prompt` (text, used as is) or `messages` (rendered with the
// model's chat template and the assistant header). Output rows keep the input's other columns and
// add completion, finish_reason, completion_tokens (and logprobs with --logprobs). Rows are
// written, and flushed, batch by batch in input order, so an interrupted run keeps what it finished.
// The input is read by the data layer's readRows (also .json and .parquet): bytes that are not
// UTF-8, over-long lines, control characters and lone surrogates are DataErrors naming file, line
// and field, as for the trainers (max_line_bytes, allow_control_characters).
import { openSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import { generate } from '../generation/index.js';
import { DataError, readFields, readOptionsOf, readRows, typeName } from '../data/index.js';
import { applyChatTemplate, type ChatMessage } from '../tokenizer/index.js';
import { defineSchema, type ConfigOf } from '../common/schema.js';
import { command } from './args.js';
import { loadForGeneration, samplingOptions, SAMPLING_FIELDS } from './model_io.js';

interface Row {
  line: number;
  data: Record<string, unknown>;
  promptText: string;
}

function rowPrompt(data: Record<string, unknown>, file: string, line: number, render: (m: ChatMessage[]) => string): string {
  if (typeof data['prompt'] === 'string') return data['prompt'];
  const msgs = data['messages'];
  if (Array.isArray(msgs)) {
    msgs.forEach((m, i) => {
      if (!m || typeof m !== 'object' || typeof (m as ChatMessage).role !== 'string' || typeof (m as ChatMessage).content !== 'string') {
        throw new DataError(file, line, 'must be {role: string, content: string}', `messages[${i}]`);
      }
    });
    return render(msgs as ChatMessage[]);
  }
  if (msgs !== undefined && msgs !== null)
    throw new DataError(file, line, `must be a list of {role, content}, got ${typeName(msgs)}`, 'messages');
  throw new DataError(file, line, "needs a 'prompt' string or a 'messages' array");
}

export const GENERATE_SCHEMA = defineSchema({
  model: { type: 'string', default: null, required: true, doc: 'the model folder' },
  input: {
    type: 'string',
    default: null,
    required: true,
    doc: "JSONL (or .json, .parquet) rows with 'prompt' (text as is) or 'messages' (chat-templated)",
  },
  output: { type: 'string', default: null, nullable: true, doc: 'JSONL file for the rows with their completions (default: stdout)' },
  batch_size: { type: 'int', default: 8, min: 1, doc: 'rows generated together' },
  stop: { type: 'string', default: null, nullable: true, doc: 'a stop string: the completion ends before it' },
  logprobs: { type: 'bool', default: false, doc: "add each sampled token's log-probability" },
  skip_special_tokens: { type: 'bool', default: true, doc: 'leave special tokens out of the completion text' },
  ...readFields(),
  ...SAMPLING_FIELDS,
});

export const generateCommand = command({
  summary: "completions for JSONL rows with 'prompt' or 'messages', written batch by batch in input order",
  schema: GENERATE_SCHEMA,
  run: async (c) => {
    await generateRows(c);
    return 0;
  },
});

async function generateRows(c: ConfigOf<typeof GENERATE_SCHEMA>): Promise<void> {
  const input = c.input;
  const output = c.output;
  const batchSize = c.batch_size;
  const withLogprobs = c.logprobs;
  const skipSpecial = c.skip_special_tokens;
  const stop = c.stop;
  const loaded = loadForGeneration(c.model, c.device);
  const sampling = samplingOptions(c, loaded.defaults);
  const { model, tokenizer, eosTokenIds } = loaded;
  const render = (m: ChatMessage[]) => applyChatTemplate(tokenizer, m, { addGenerationPrompt: true });

  const out = output ? openSync(output, 'w') : 1;
  const gen = { seed: sampling.seed };
  let pending: Row[] = [];
  let done = 0;
  const flush = () => {
    if (!pending.length) return;
    const prompts = pending.map((r) => tokenizer.encode(r.promptText, { addSpecialTokens: false }));
    const completions = generate(model, prompts, {
      ...sampling,
      seed: gen.seed++,
      eosTokenIds,
      padTokenId: tokenizer.padTokenId ?? eosTokenIds[0] ?? 0,
      stopStrings: stop ? [stop] : undefined,
      detokenize: (ids) => tokenizer.decode(ids),
    });
    const text = pending
      .map((r, i) => {
        const c = completions[i]!;
        let completion = tokenizer.decode(c.tokens, { skipSpecialTokens: skipSpecial });
        if (c.stopString) completion = completion.slice(0, completion.indexOf(c.stopString));
        return (
          JSON.stringify({
            ...r.data,
            completion,
            finish_reason: c.finishReason,
            completion_tokens: c.tokens.length,
            ...(withLogprobs ? { logprobs: c.logprobs } : {}),
          }) + '\n'
        );
      })
      .join('');
    writeSync(out, text);
    if (out !== 1) fsyncSync(out);
    done += pending.length;
    if (out !== 1) process.stderr.write(`\rgenerated ${done}`);
    pending = [];
  };
  try {
    for await (const r of readRows(input, readOptionsOf(c))) {
      pending.push({ line: r.line, data: r.data, promptText: rowPrompt(r.data, r.file, r.line, render) });
      if (pending.length >= batchSize) flush();
    }
    flush();
  } finally {
    if (out !== 1) {
      closeSync(out);
      process.stderr.write('\n');
    }
    model.dispose();
  }
}
