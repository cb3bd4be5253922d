// What a model folder carries beside the weights: the tokenizer files, the generation config, and
// the special token ids config.json names (bos/eos/pad — without them transformers falls back to
// Llama's defaults 1 and 2, ordinary tokens of most vocabularies). A model remembers those it was
// loaded with (loadModel: the folder's files) or created with (createModel's tokenizer), so
// saveModel(model, dir) writes a complete folder without being told.
// Kept beside the model in a WeakMap, not in it: CausalLM knows nothing about files or tokenizers,
// and models/ imports nothing from tokenizer/ (a Tokenizer fits ModelTokenizer by its shape).
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOKENIZER_FILES } from '../checkpoint/index.js';
import type { CausalLM } from './decoder.js';

/** What a model needs of its tokenizer to save a complete folder; posttrain's Tokenizer is one. */
export interface ModelTokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number | undefined;
  readonly bosToken: string | undefined;
  readonly eosToken: string | undefined;
  readonly padToken: string | undefined;
  readonly unkToken: string | undefined;
  /** Writes tokenizer.json and tokenizer_config.json (and chat_template.jinja) into a folder. */
  save(dir: string): void;
}

interface Companions {
  tokenizer?: ModelTokenizer;
  /** File name → bytes: read from the folder a model was loaded from, or written by `tokenizer`. */
  tokenizerFiles?: Record<string, Uint8Array>;
  /** undefined: none known; null: the folder had none. */
  generationConfig?: Record<string, unknown> | null;
}

const companions = new WeakMap<CausalLM, Companions>();

/** Remembers the tokenizer files and generation config of the folder a model was loaded from. */
export function rememberFolder(
  model: CausalLM,
  dir: string,
  names: readonly string[],
  generationConfig: Record<string, unknown> | null,
): void {
  const tokenizerFiles: Record<string, Uint8Array> = {};
  for (const name of names) tokenizerFiles[name] = readFileSync(join(dir, name));
  companions.set(model, { tokenizerFiles, generationConfig });
}

/**
 * Gives a model its tokenizer (or takes it away, with null): saveModel then writes the tokenizer's
 * files, a generation config with its end-of-sequence ids, and its bos/eos/pad ids into config.json
 * where the model's config has none. Returns the model.
 */
export function setModelTokenizer(model: CausalLM, tokenizer: ModelTokenizer | null): CausalLM {
  if (tokenizer === null) companions.delete(model);
  else companions.set(model, { tokenizer });
  return model;
}

/** The bos/eos/pad ids of a tokenizer under config.json's names (absent ones left out). */
export function specialTokenIds(tokenizer: ModelTokenizer): Record<string, number | number[]> {
  const out: Record<string, number | number[]> = {};
  if (tokenizer.bosTokenId !== undefined) out['bos_token_id'] = tokenizer.bosTokenId;
  if (tokenizer.eosTokenIds.length > 0)
    out['eos_token_id'] = tokenizer.eosTokenIds.length === 1 ? tokenizer.eosTokenIds[0]! : [...tokenizer.eosTokenIds];
  if (tokenizer.padTokenId !== undefined) out['pad_token_id'] = tokenizer.padTokenId;
  return out;
}

/** The tokenizer files a model knows (its folder's, or its tokenizer's), or undefined. */
export function knownTokenizerFiles(model: CausalLM): Record<string, Uint8Array> | undefined {
  const c = companions.get(model);
  if (!c) return undefined;
  if (!c.tokenizerFiles && c.tokenizer) c.tokenizerFiles = filesOf(c.tokenizer);
  return c.tokenizerFiles;
}

/** The generation config a model knows: its folder's (null when it had none), or one from its tokenizer's ids. */
export function knownGenerationConfig(model: CausalLM): Record<string, unknown> | null | undefined {
  const c = companions.get(model);
  if (!c) return undefined;
  if (c.generationConfig !== undefined) return c.generationConfig;
  if (!c.tokenizer) return undefined;
  const ids = specialTokenIds(c.tokenizer);
  return Object.keys(ids).length ? ids : undefined;
}

/** The special token ids the model's tokenizer names (none when it has no tokenizer object). */
export function knownSpecialTokenIds(model: CausalLM): Record<string, number | number[]> {
  const t = companions.get(model)?.tokenizer;
  return t ? specialTokenIds(t) : {};
}

/** A tokenizer's files, through its own save (written to a temp folder and read back). */
function filesOf(tokenizer: ModelTokenizer): Record<string, Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), 'posttrain-tokenizer-'));
  try {
    tokenizer.save(dir);
    const out: Record<string, Uint8Array> = {};
    for (const name of TOKENIZER_FILES) if (existsSync(join(dir, name))) out[name] = readFileSync(join(dir, name));
    if (!out['special_tokens_map.json']) {
      const map: Record<string, string> = {};
      for (const [k, v] of [
        ['bos_token', tokenizer.bosToken],
        ['eos_token', tokenizer.eosToken],
        ['pad_token', tokenizer.padToken],
        ['unk_token', tokenizer.unkToken],
      ] as const)
        if (v !== undefined) map[k] = v;
      if (Object.keys(map).length) out['special_tokens_map.json'] = Buffer.from(`${JSON.stringify(map, null, 2)}\n`);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
