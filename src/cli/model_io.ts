// What the tool commands share: loading a model folder with its tokenizer and end-of-sequence ids
// (tokenizer_config + generation_config), the sampling fields of generate and chat (defaulting to
// the folder's generation_config.json), and waiting for Ctrl+C before closing a server.
import { loadModel, resolveDevice, DEVICE_FIELD, type CausalLM } from '../models/index.js';
import { Tokenizer } from '../tokenizer/index.js';
import type { SamplingOptions } from '../generation/index.js';
import { defineSchema, type ConfigOf } from '../common/schema.js';

export interface LoadedForGeneration {
  model: CausalLM;
  tokenizer: Tokenizer;
  eosTokenIds: number[];
  defaults: Record<string, unknown>;
}

/** Loads a model folder onto `device` ('auto': a GPU when libtorch sees one). */
export function loadForGeneration(dir: string, device = 'auto'): LoadedForGeneration {
  const tokenizer = Tokenizer.fromDir(dir);
  const { model, generationConfig } = loadModel(dir, { device: resolveDevice(device, "field 'device'") });
  const gc = generationConfig ?? {};
  const fromGc = gc['eos_token_id'];
  const eos = new Set<number>([...tokenizer.eosTokenIds, ...(Array.isArray(fromGc) ? fromGc : typeof fromGc === 'number' ? [fromGc] : [])]);
  return { model, tokenizer, eosTokenIds: [...eos], defaults: gc };
}

const FROM_FOLDER = "(default: the folder's generation_config.json, else";
/** The sampling fields of generate and chat; null means the folder's generation_config.json value. */
export const SAMPLING_FIELDS = defineSchema({
  max_new_tokens: { type: 'int', default: null, nullable: true, min: 1, doc: `tokens to generate at most ${FROM_FOLDER} 256)` },
  temperature: { type: 'number', default: null, nullable: true, min: 0, doc: `sampling temperature, 0 greedy ${FROM_FOLDER} 1)` },
  top_k: { type: 'int', default: null, nullable: true, min: 0, doc: `keep the k likeliest tokens, 0 all ${FROM_FOLDER} 0)` },
  top_p: { type: 'number', default: null, nullable: true, min: 0.000001, max: 1, doc: `nucleus sampling ${FROM_FOLDER} 1)` },
  min_p: { type: 'number', default: null, nullable: true, min: 0, max: 0.999999, doc: `min-p sampling ${FROM_FOLDER} 0)` },
  repetition_penalty: {
    type: 'number',
    default: null,
    nullable: true,
    min: 0.000001,
    doc: `CTRL's repetition penalty, 1 none ${FROM_FOLDER} 1)`,
  },
  seed: { type: 'int', default: 0, min: 0, doc: 'sampling seed' },
  device: DEVICE_FIELD,
});

/** Sampling options from the fields, each unset one from generation_config.json, then T = 1 sampling. */
export function samplingOptions(
  c: ConfigOf<typeof SAMPLING_FIELDS>,
  gc: Record<string, unknown>,
): SamplingOptions & { maxNewTokens: number; seed: number } {
  const d = (k: string, v: number) => (typeof gc[k] === 'number' ? (gc[k] as number) : v);
  const doSample = gc['do_sample'] !== false;
  return {
    maxNewTokens: c.max_new_tokens ?? d('max_new_tokens', 256),
    temperature: c.temperature ?? (doSample ? d('temperature', 1) : 0),
    topK: c.top_k ?? d('top_k', 0),
    topP: c.top_p ?? d('top_p', 1),
    minP: c.min_p ?? d('min_p', 0),
    repetitionPenalty: c.repetition_penalty ?? d('repetition_penalty', 1),
    seed: c.seed,
  };
}

/** Resolves on SIGINT or SIGTERM, after `close` finishes. */
export function untilInterrupted(close: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      void close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
