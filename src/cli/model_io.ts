// What the generate and chat commands share: loading a model folder with its tokenizer, the
// sampling flags, and the end-of-sequence ids (tokenizer_config + generation_config).
import { loadModel, type CausalLM } from '../models/index.js';
import { Tokenizer } from '../tokenizer/index.js';
import type { SamplingOptions } from '../generation/index.js';
import type { Flags } from './flags.js';

export interface LoadedForGeneration {
  model: CausalLM;
  tokenizer: Tokenizer;
  eosTokenIds: number[];
  defaults: Record<string, unknown>;
}

export function loadForGeneration(dir: string): LoadedForGeneration {
  const tokenizer = Tokenizer.fromDir(dir);
  const { model, generationConfig } = loadModel(dir);
  const gc = generationConfig ?? {};
  const fromGc = gc['eos_token_id'];
  const eos = new Set<number>([...tokenizer.eosTokenIds, ...(Array.isArray(fromGc) ? fromGc : typeof fromGc === 'number' ? [fromGc] : [])]);
  return { model, tokenizer, eosTokenIds: [...eos], defaults: gc };
}

/** Sampling flags, defaulting to the folder's generation_config.json, then to greedy-free sampling at T=1. */
export function samplingFlags(f: Flags, gc: Record<string, unknown>): SamplingOptions & { maxNewTokens: number; seed: number } {
  const d = (k: string, v: number) => (typeof gc[k] === 'number' ? (gc[k] as number) : v);
  const doSample = gc['do_sample'] !== false;
  return {
    maxNewTokens: f.int('max-new-tokens', d('max_new_tokens', 256), 1),
    temperature: f.num('temperature', doSample ? d('temperature', 1) : 0, (v) => v >= 0, 'a number >= 0'),
    topK: f.int('top-k', d('top_k', 0)),
    topP: f.num('top-p', d('top_p', 1), (v) => v > 0 && v <= 1, 'in (0, 1]'),
    minP: f.num('min-p', d('min_p', 0), (v) => v >= 0 && v < 1, 'in [0, 1)'),
    repetitionPenalty: f.num('repetition-penalty', d('repetition_penalty', 1), (v) => v > 0, 'a number > 0'),
    seed: f.int('seed', 0),
  };
}
