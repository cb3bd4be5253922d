// Hugging Face model folders: config.json, generation_config.json, weights (weights.ts) and
// tokenizer files, in the layout transformers, vLLM and llama.cpp's converter read unchanged.
//
// saveHfFolder replaces a folder atomically: everything is built and fsynced in a sibling temp
// folder `<dir>.tmp-<pid>-<rand>`, then the old folder is renamed to `<dir>.old-<pid>`, the temp
// folder to `<dir>`, and the old one removed. A crash leaves the old complete folder or the new
// complete one (in the instant between the two renames, the old one sits at `<dir>.old-<pid>`);
// the next save into the same place removes temp folders of dead processes and puts an orphaned
// `.old` folder back when `<dir>` is missing.
// Knows nothing about what the config means (models/ does) or how tokenizers work (tokenizer/).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Tensor } from '../tensor/index.js';
import { CheckpointError, messageOf } from './errors.js';
import { fsyncDir, readJson, tempPath, writeFileAtomically } from '../common/files.js';
import { loadWeights, saveWeights, WEIGHTS_INDEX_NAME, WEIGHTS_NAME } from './weights.js';

/** Tokenizer files a model folder may carry, in the order loadHfFolder lists them. */
export const TOKENIZER_FILES: readonly string[] = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
  'chat_template.jinja',
];

export interface SaveHfFolderOptions {
  config: Record<string, unknown>;
  generationConfig?: Record<string, unknown> | null;
  weights: Map<string, Tensor>;
  /** File name → content, written verbatim (strings as UTF-8). */
  tokenizerFiles?: Record<string, string | Uint8Array>;
  maxShardBytes?: number;
}

export interface HfFolder {
  config: Record<string, unknown>;
  generationConfig: Record<string, unknown> | null;
  weights: Map<string, Tensor>;
  dir: string;
  /** Names among TOKENIZER_FILES present in the folder. */
  tokenizerFiles: string[];
}

const RESERVED = new Set(['config.json', 'generation_config.json', WEIGHTS_NAME, WEIGHTS_INDEX_NAME]);

const json2 = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** Writes a complete model folder at `dir`, replacing any folder there atomically (see the file comment). */
export function saveHfFolder(dir: string, opts: SaveHfFolderOptions): void {
  const target = resolve(dir);
  checkSaveOptions(target, opts);
  if (existsSync(target) && !statSync(target).isDirectory()) throw new CheckpointError(target, 'exists and is not a folder');
  mkdirSync(dirname(target), { recursive: true });
  recoverInterrupted(target);

  const tmp = tempPath(target);
  mkdirSync(tmp);
  try {
    writeFileAtomically(join(tmp, 'config.json'), json2(opts.config));
    if (opts.generationConfig) writeFileAtomically(join(tmp, 'generation_config.json'), json2(opts.generationConfig));
    saveWeights(tmp, opts.weights, opts.maxShardBytes === undefined ? {} : { maxShardBytes: opts.maxShardBytes });
    for (const [name, content] of Object.entries(opts.tokenizerFiles ?? {})) writeFileAtomically(join(tmp, name), content);
    fsyncDir(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new CheckpointError(target, `not saved, the previous folder is unchanged: ${messageOf(e)}`, { cause: e });
  }
  swapIn(tmp, target);
}

function checkSaveOptions(target: string, opts: SaveHfFolderOptions): void {
  const fail = (detail: string): never => {
    throw new CheckpointError(target, detail);
  };
  const isObject = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(opts.config)) fail('config must be an object');
  if (opts.generationConfig != null && !isObject(opts.generationConfig)) fail('generationConfig must be an object or null');
  if (!(opts.weights instanceof Map)) fail('weights must be a Map of name → Tensor');
  for (const [name, content] of Object.entries(opts.tokenizerFiles ?? {})) {
    if (name === '' || name === '.' || name === '..' || /[/\\]/.test(name))
      fail(`tokenizer file name ${JSON.stringify(name)} must be a plain file name`);
    if (RESERVED.has(name) || /^model-\d{5}-of-\d{5}\.safetensors$/.test(name))
      fail(`tokenizer file name '${name}' would overwrite a model file`);
    if (typeof content !== 'string' && !(content instanceof Uint8Array)) fail(`tokenizer file '${name}' must be a string or Uint8Array`);
  }
}

/** Moves `tmp` into place as `target`; the old folder, if any, is kept aside until the new one is in. */
function swapIn(tmp: string, target: string): void {
  const old = `${target}.old-${process.pid}`;
  const hadOld = existsSync(target);
  try {
    if (hadOld) {
      rmSync(old, { recursive: true, force: true });
      renameSync(target, old);
    }
    try {
      renameSync(tmp, target);
    } catch (e) {
      if (hadOld) renameSync(old, target);
      throw e;
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new CheckpointError(target, `not saved, the previous folder is unchanged: ${messageOf(e)}`, { cause: e });
  }
  fsyncDir(dirname(target));
  if (hadOld) rmSync(old, { recursive: true, force: true });
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return false; // saves are synchronous: our own leftovers are from a failed save
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Cleans up after saves that died: temp folders go; an orphaned `.old` folder returns when `target` is missing. */
function recoverInterrupted(target: string): void {
  const parent = dirname(target);
  const base = basename(target);
  for (const entry of readdirSync(parent)) {
    if (!entry.startsWith(`${base}.`)) continue;
    const m = /^\.(tmp|old)-(\d+)(?:-[0-9a-f]+)?$/.exec(entry.slice(base.length));
    if (m === null || pidAlive(Number(m[2]))) continue;
    const path = join(parent, entry);
    if (m[1] === 'old' && !existsSync(target) && existsSync(join(path, 'config.json'))) renameSync(path, target);
    else rmSync(path, { recursive: true, force: true });
  }
}

/** Reads a model folder. Weights are kept tensors: the caller disposes them. */
export function loadHfFolder(dir: string, opts: { filter?: (name: string) => boolean } = {}): HfFolder {
  const target = resolve(dir);
  if (!existsSync(target)) {
    const orphan = readdirSafe(dirname(target)).find((e) => e.startsWith(`${basename(target)}.old-`));
    throw new CheckpointError(
      target,
      'no such folder' +
        (orphan ? `; an interrupted save left the previous folder at ${join(dirname(target), orphan)} (the next save restores it)` : ''),
    );
  }
  if (!statSync(target).isDirectory()) throw new CheckpointError(target, 'is not a folder');
  const config = readJson(join(target, 'config.json'), 'config.json', CheckpointError);
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new CheckpointError(join(target, 'config.json'), 'config.json must hold a JSON object');
  }
  const genPath = join(target, 'generation_config.json');
  let generationConfig: Record<string, unknown> | null = null;
  if (existsSync(genPath)) {
    const g = readJson(genPath, 'generation_config.json', CheckpointError);
    if (g === null || typeof g !== 'object' || Array.isArray(g))
      throw new CheckpointError(genPath, 'generation_config.json must hold a JSON object');
    generationConfig = g as Record<string, unknown>;
  }
  const weights = loadWeights(target, opts);
  const tokenizerFiles = TOKENIZER_FILES.filter((f) => existsSync(join(target, f)));
  return { config: config as Record<string, unknown>, generationConfig, weights, dir: target, tokenizerFiles };
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
