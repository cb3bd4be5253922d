// Batched generation with a preallocated KV cache. Prompts are left-padded into one batch; the
// prompt is run once (prefill), then one token per sequence per step. Finished sequences (EOS id,
// stop string, or max tokens) leave the batch — the cache keeps only the rows still running — so
// long and short answers do not pay for each other. The engine knows token ids only; stop strings
// are checked through the `detokenize` function the caller gives (a tokenizer's decode).
import * as pt from '../tensor/index.js';
import { ArgumentError, type Tensor } from '../tensor/index.js';
import type { CausalLM } from '../models/decoder.js';
import { checkSampling, selectTokens, type SamplingOptions } from './sampler.js';
import { Rng } from '../common/rng.js';
import { checkOptions, type OptionSpecs } from '../common/options.js';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  eosTokenIds?: readonly number[];
  stopStrings?: readonly string[];
  /** Needed with stopStrings: token ids → text. */
  detokenize?: (ids: number[]) => string;
  /** Seed of the sampling generator (default 0); or pass a generator to continue a stream. */
  seed?: number;
  generator?: pt.Generator;
  /**
   * One seed per prompt instead: each prompt draws from its own stream, so its completion does not
   * depend on which prompts share the batch (data-parallel ranks each generating a share).
   */
  seeds?: readonly number[];
  padTokenId?: number;
  /** Called after each step with the tokens just chosen, by original prompt index (streaming). */
  onTokens?: (step: { index: number; token: number }[]) => void;
}

export type FinishReason = 'eos' | 'stop' | 'length';

export interface Completion {
  tokens: number[];
  /** log p(token) under softmax(logits / temperature), per generated token. */
  logprobs: number[];
  finishReason: FinishReason;
  /** The stop string that ended it, if any (the tokens are cut after the token that completed it). */
  stopString?: string;
  /** When asked for: per generated token, the most likely [token, log-probability] pairs. */
  topLogprobs?: [number, number][][];
}

export interface Prepared {
  s: Required<SamplingOptions>;
  eos: Set<number>;
  gen: pt.Generator;
  /** Per-prompt streams (options.seeds), or null. */
  streams: Rng[] | null;
  pad: number;
  /** One completion per prompt, filled step by step. */
  out: Completion[];
}

/** GenerateOptions' names and types (the sampling ranges are checkSampling's), checked at the front door. */
const GENERATE_OPTIONS: OptionSpecs = {
  maxNewTokens: { type: 'int', min: 1, required: true, doc: 'tokens to generate at most', aka: ['max_tokens', 'maxTokens'] },
  temperature: { type: 'number', doc: 'sampling temperature, 0 greedy' },
  topK: { type: 'int', doc: 'keep the k likeliest tokens, 0 all' },
  topP: { type: 'number', doc: 'nucleus sampling, 1 off' },
  minP: { type: 'number', doc: 'min-p sampling, 0 off' },
  repetitionPenalty: { type: 'number', doc: '1 off' },
  eosTokenIds: { type: 'numbers', doc: 'ids that end a completion', aka: ['eos_token_id', 'eosTokenId'] },
  stopStrings: { type: 'strings', doc: 'strings that end a completion', aka: ['stop'] },
  detokenize: { type: 'function', doc: 'token ids → text, needed with stopStrings' },
  seed: { type: 'int', doc: 'seed of the sampling generator' },
  generator: { type: 'object', instanceOf: pt.Generator, doc: 'a generator to continue a stream' },
  seeds: { type: 'numbers', doc: 'one seed per prompt' },
  padTokenId: { type: 'int', min: 0, doc: 'the id left padding uses', aka: ['pad_token_id'] },
  onTokens: { type: 'function', doc: 'called after each step with the tokens just chosen' },
};

export function prepare(model: CausalLM, prompts: readonly (readonly number[])[], o: GenerateOptions): Prepared {
  checkOptions('generate', o, GENERATE_OPTIONS);
  if (!Array.isArray(prompts) || prompts.length === 0) throw new ArgumentError('generate', 'needs at least one prompt');
  prompts.forEach((p, i) => {
    if (!Array.isArray(p) || p.length === 0) throw new ArgumentError('generate', `prompt ${i} is empty`);
    for (const id of p) {
      if (!Number.isInteger(id) || id < 0 || id >= model.config.vocabSize)
        throw new ArgumentError('generate', `prompt ${i} has token id ${id} outside [0, ${model.config.vocabSize})`);
    }
  });
  if (o.stopStrings?.length && !o.detokenize) throw new ArgumentError('generate', 'stopStrings need a detokenize function');
  if (o.seeds && o.seeds.length !== prompts.length)
    throw new ArgumentError('generate', `seeds has ${o.seeds.length} entries for ${prompts.length} prompts (one per prompt)`);
  return {
    s: checkSampling(o),
    eos: new Set(o.eosTokenIds ?? []),
    gen: o.generator ?? new pt.Generator(o.seed ?? 0),
    streams: o.seeds ? o.seeds.map((seed) => new Rng(seed)) : null,
    pad: o.padTokenId ?? 0,
    out: prompts.map(() => ({ tokens: [], logprobs: [], finishReason: 'length' })),
  };
}

/** What selectTokens draws with for the running rows (active[row] = prompt index). */
export function drawFor(p: Prepared, active: readonly number[]): pt.Generator | number[] {
  return p.streams ? active.map((i) => p.streams![i]!.next()) : p.gen;
}

/** Runs fn with the model in eval mode (no dropout), restoring its mode after. */
export function inEvalMode<T>(model: CausalLM, fn: () => T): T {
  const wasTraining = model.training;
  model.eval();
  try {
    return fn();
  } finally {
    model.train(wasTraining);
  }
}

/**
 * Appends the token chosen for each batch row (active[row] = prompt index) to its completion;
 * returns the batch rows that are still running.
 */
export function recordStep(
  active: readonly number[],
  tok: readonly number[],
  lp: readonly number[],
  p: Prepared,
  o: GenerateOptions,
): number[] {
  const running: number[] = [];
  active.forEach((idx, row) => {
    const c = p.out[idx]!;
    c.tokens.push(tok[row]!);
    c.logprobs.push(lp[row]!);
    if (!checkFinished(c, tok[row]!, p, o)) running.push(row);
  });
  return running;
}

/** Decides whether a sequence has finished after appending its latest token; cuts a stop string. */
export function checkFinished(c: Completion, token: number, p: Prepared, o: GenerateOptions): boolean {
  return isFinished(c, token, p.eos, o);
}

/** The end test on a completion's latest token: an end token, a stop string (noted), or the length limit. */
export function isFinished(
  c: Completion,
  token: number,
  eos: ReadonlySet<number>,
  o: { maxNewTokens: number; stopStrings?: readonly string[]; detokenize?: (ids: number[]) => string },
): boolean {
  if (eos.has(token)) {
    c.finishReason = 'eos';
    return true;
  }
  if (o.stopStrings?.length) {
    const text = o.detokenize!(c.tokens);
    const hit = o.stopStrings.find((s) => s.length > 0 && text.includes(s));
    if (hit !== undefined) {
      c.finishReason = 'stop';
      c.stopString = hit;
      return true;
    }
  }
  if (c.tokens.length >= o.maxNewTokens) {
    c.finishReason = 'length';
    return true;
  }
  return false;
}

/** Left-padded ids (B, L) int64 and mask (B, L) bool for the given prompts. */
export function leftPad(prompts: readonly (readonly number[])[], pad: number, device: pt.Device = 'cpu'): { ids: Tensor; mask: Tensor } {
  const L = Math.max(...prompts.map((p) => p.length));
  const ids = new BigInt64Array(prompts.length * L).fill(BigInt(pad));
  const mask = new Uint8Array(prompts.length * L);
  prompts.forEach((p, b) =>
    p.forEach((t, j) => {
      ids[b * L + L - p.length + j] = BigInt(t);
      mask[b * L + L - p.length + j] = 1;
    }),
  );
  return {
    ids: pt.tensor(ids, { shape: [prompts.length, L], device }),
    mask: pt.tensor(mask, { dtype: 'bool', shape: [prompts.length, L], device }),
  };
}

/** (B, V) bool: which tokens each sequence contains (for the repetition penalty). */
export function presence(seqs: readonly (readonly number[])[], vocab: number, device: pt.Device = 'cpu'): Tensor {
  const m = new Uint8Array(seqs.length * vocab);
  seqs.forEach((s, b) => {
    for (const t of s) m[b * vocab + t] = 1;
  });
  return pt.tensor(m, { dtype: 'bool', shape: [seqs.length, vocab], device });
}

/** Generates a completion for each prompt (token ids), fast path with a KV cache. */
export function generate(model: CausalLM, prompts: readonly (readonly number[])[], o: GenerateOptions): Completion[] {
  const p = prepare(model, prompts, o);
  inEvalMode(model, () =>
    pt.noGrad(() =>
      pt.scope(() => {
        const device = model.device;
        const { ids, mask: promptMask } = leftPad(prompts, p.pad, device);
        const L = ids.size(1);
        const cache = model.newCache(prompts.length, L + o.maxNewTokens);
        // With prompts of one length there is no padding: plain causal attention, positions from the cache.
        const padded = prompts.some((q) => q.length !== L);
        let mask = promptMask.keep(); // (B, S)
        let nextPos = prompts.map((q) => q.length); // per row: position of the next token
        let active = prompts.map((_, i) => i); // batch row → prompt index
        // the prompt's last position only goes through the output head
        let logits = pt
          .scope(() => model.logits(model.hiddenStates(ids, { attentionMask: padded ? mask : null, cache }).select(1, -1)))
          .keep(); // (B, V)
        let seen = p.s.repetitionPenalty !== 1 ? presence(prompts, model.config.vocabSize).keep() : null; // on the CPU, where selection runs
        try {
          for (let step = 0; step < o.maxNewTokens && active.length > 0; step++) {
            const { tokens, logprobs } = selectTokens(logits, seen, p.s, drawFor(p, active));
            const tok = tokens.toFlatArray() as number[];
            const lp = logprobs.toFlatArray() as number[];
            tokens.dispose();
            logprobs.dispose();
            const keepRows = recordStep(active, tok, lp, p, o);
            o.onTokens?.(active.map((idx, row) => ({ index: idx, token: tok[row]! })));
            if (keepRows.length === 0) break;
            const stillTok = keepRows.map((r) => tok[r]!);
            if (keepRows.length < active.length) {
              // drop finished rows
              const rows = pt.tensor(keepRows, { dtype: 'int64', device });
              cache.selectRows(rows);
              const m2 = mask.indexSelect(0, rows).keep();
              mask.dispose();
              mask = m2;
              if (seen) {
                const s2 = seen.indexSelect(0, rows.to(seen.device)).keep();
                seen.dispose();
                seen = s2;
              }
              rows.dispose();
              active = keepRows.map((r) => active[r]!);
              nextPos = keepRows.map((r) => nextPos[r]!);
            }
            const next = pt.tensor(stillTok, { dtype: 'int64', shape: [stillTok.length, 1], device }); // (B', 1)
            if (seen) updateSeen(seen, next.to(seen.device));
            const l2 = pt
              .scope(() => {
                if (!padded) return model.forward(next, { cache }).select(1, -1);
                const m2 = pt.cat([mask, pt.ones([stillTok.length, 1], { dtype: 'bool', device })], 1).keep();
                mask.dispose();
                mask = m2;
                const positions = pt.tensor(nextPos, { dtype: 'int64', shape: [nextPos.length, 1], device });
                return model.forward(next, { attentionMask: mask, positions, cache }).select(1, -1);
              })
              .keep();
            nextPos = nextPos.map((q) => q + 1);
            logits.dispose();
            logits = l2;
            next.dispose();
          }
        } finally {
          logits.dispose();
          mask.dispose();
          seen?.dispose();
          cache.dispose();
        }
      }),
    ),
  );
  return p.out;
}

function updateSeen(seen: Tensor, next: Tensor): void {
  pt.scope(() => seen.copy_(seen.scatter(1, next, true)));
}
