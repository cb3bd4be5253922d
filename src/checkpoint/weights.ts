// Model weights in a folder, as transformers saves and loads them: one `model.safetensors`, or, over
// the shard limit, `model-00001-of-0000N.safetensors` ... plus `model.safetensors.index.json`
// ({"metadata": {"total_size": bytes}, "weight_map": {name: shard}}, indent 2, sorted keys, ASCII).
// Sharding follows huggingface_hub: tensors in the order given, a new shard when the next tensor
// would tip the current one over the limit, a tensor larger than the limit alone in its own shard.
//
// Each file is written atomically, and files of the other layout left by an earlier save are removed
// after the new ones are complete; replacing a whole folder atomically is hf_folder.ts's job.
// Knows nothing about config.json or tokenizers.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../tensor/index.js';
import { CheckpointError } from './errors.js';
import { readJson, writeFileAtomically } from '../common/files.js';
import {
  compareNames,
  describeTensors,
  readSafetensors,
  readSafetensorsHeader,
  writeSafetensors,
  type TensorsInput,
} from './safetensors.js';

export const WEIGHTS_NAME = 'model.safetensors';
export const WEIGHTS_INDEX_NAME = 'model.safetensors.index.json';
const SHARD_NAME = /^model-\d{5}-of-\d{5}\.safetensors$/;

export interface SaveWeightsOptions {
  /** Largest shard in bytes of tensor data (default 5 GiB). */
  maxShardBytes?: number;
  /** `__metadata__` of every file (default { format: 'pt' }, which transformers expects). */
  metadata?: Record<string, string>;
}

export interface SavedWeights {
  /** The files written, in order (the index last, when there is one). */
  files: string[];
  /** Bytes of tensor data in all shards. */
  totalSize: number;
}

const shardName = (i: number, n: number): string => `model-${String(i).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;

/** Writes `tensors` into `dir` (created if missing) as transformers does; see the file comment. */
export function saveWeights(dir: string, tensors: TensorsInput, opts: SaveWeightsOptions = {}): SavedWeights {
  const maxShardBytes = opts.maxShardBytes ?? 5 * 2 ** 30;
  const metadata = opts.metadata ?? { format: 'pt' };
  if (!(Number.isSafeInteger(maxShardBytes) && maxShardBytes > 0)) {
    throw new CheckpointError(dir, `maxShardBytes must be a positive integer, got ${maxShardBytes}`);
  }
  const infos = describeTensors(tensors, join(dir, WEIGHTS_NAME));
  const shards: Map<string, Tensor>[] = [];
  let current = new Map<string, Tensor>();
  let currentBytes = 0;
  let totalSize = 0;
  for (const t of infos) {
    totalSize += t.bytes;
    if (t.bytes > maxShardBytes) {
      shards.push(new Map([[t.name, t.tensor]]));
      continue;
    }
    if (currentBytes + t.bytes > maxShardBytes) {
      shards.push(current);
      current = new Map();
      currentBytes = 0;
    }
    current.set(t.name, t.tensor);
    currentBytes += t.bytes;
  }
  if (current.size > 0 || shards.length === 0) shards.push(current);
  mkdirSync(dir, { recursive: true });

  if (shards.length === 1) {
    writeSafetensors(join(dir, WEIGHTS_NAME), shards[0]!, metadata);
    removeStale(dir, new Set([WEIGHTS_NAME]));
    return { files: [WEIGHTS_NAME], totalSize };
  }
  const files: string[] = [];
  const weightMap = new Map<string, string>();
  shards.forEach((shard, i) => {
    const file = shardName(i + 1, shards.length);
    writeSafetensors(join(dir, file), shard, metadata);
    for (const name of shard.keys()) weightMap.set(name, file);
    files.push(file);
  });
  writeFileAtomically(join(dir, WEIGHTS_INDEX_NAME), encodeIndex(totalSize, weightMap));
  files.push(WEIGHTS_INDEX_NAME);
  removeStale(dir, new Set(files));
  return { files, totalSize };
}

/** Removes weight files of an earlier save that the new one does not use. */
function removeStale(dir: string, keep: Set<string>): void {
  for (const f of readdirSync(dir)) {
    if (keep.has(f)) continue;
    if (f === WEIGHTS_NAME || f === WEIGHTS_INDEX_NAME || SHARD_NAME.test(f)) rmSync(join(dir, f), { force: true });
  }
}

/** Python's json.dumps(index, indent=2, sort_keys=True) + "\n" (ensure_ascii: non-ASCII as \uXXXX). */
function encodeIndex(totalSize: number, weightMap: Map<string, string>): string {
  const ascii = (s: string): string =>
    JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const names = [...weightMap.keys()].sort(compareNames);
  const lines = names.map((n) => `    ${ascii(n)}: ${ascii(weightMap.get(n)!)}`);
  return `{\n  "metadata": {\n    "total_size": ${totalSize}\n  },\n  "weight_map": {\n${lines.join(',\n')}\n  }\n}\n`;
}

export interface LoadWeightsOptions {
  /** Load only the tensors whose name passes; shards holding none of them are not opened. */
  filter?: (name: string) => boolean;
}

/**
 * Reads the weights in `dir`: the index and its shards when `model.safetensors.index.json` exists,
 * else `model.safetensors`. Tensors are kept (the caller owns and disposes them).
 */
export function loadWeights(dir: string, opts: LoadWeightsOptions = {}): Map<string, Tensor> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CheckpointError(dir, 'no such folder');
  const indexPath = join(dir, WEIGHTS_INDEX_NAME);
  if (existsSync(indexPath)) return loadSharded(dir, indexPath, opts.filter);
  const single = join(dir, WEIGHTS_NAME);
  if (existsSync(single)) return readSafetensors(single, { filter: opts.filter }).tensors;
  const bin = existsSync(join(dir, 'pytorch_model.bin')) || existsSync(join(dir, 'pytorch_model.bin.index.json'));
  throw new CheckpointError(
    dir,
    `no weights: neither ${WEIGHTS_NAME} nor ${WEIGHTS_INDEX_NAME} is here` +
      (bin ? ' (pytorch_model.bin is a pickle, which is not read: convert it to safetensors)' : ''),
  );
}

function loadSharded(dir: string, indexPath: string, filter: ((name: string) => boolean) | undefined): Map<string, Tensor> {
  const fail = (detail: string): never => {
    throw new CheckpointError(indexPath, detail);
  };
  const index = readJson(indexPath, 'weights index', CheckpointError);
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (weightMap === null || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
    return fail('has no weight_map object');
  }
  const byFile = new Map<string, string[]>();
  for (const [name, file] of Object.entries(weightMap as Record<string, unknown>)) {
    if (typeof file !== 'string' || file === '' || /[/\\]/.test(file) || file === '.' || file === '..') {
      fail(`weight_map entry '${name}' must be a file name in the same folder, got ${JSON.stringify(file)}`);
    }
    const f = file as string;
    if (!existsSync(join(dir, f))) fail(`weight_map puts '${name}' in ${f}, which does not exist in ${dir}`);
    if (filter && !filter(name)) continue;
    const list = byFile.get(f) ?? [];
    list.push(name);
    byFile.set(f, list);
  }
  for (const [file, names] of byFile) {
    const held = new Set(readSafetensorsHeader(join(dir, file)).entries.map((e) => e.name));
    const missing = names.filter((n) => !held.has(n));
    if (missing.length)
      fail(
        `weight_map puts ${missing
          .map((n) => `'${n}'`)
          .slice(0, 5)
          .join(', ')}` +
          `${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} in ${file}, which does not hold ${missing.length > 1 ? 'them' : 'it'}`,
      );
  }
  const loaded = new Map<string, Tensor>();
  try {
    for (const [file, names] of byFile) {
      const wanted = new Set(names);
      for (const [n, t] of readSafetensors(join(dir, file), { filter: (n) => wanted.has(n) }).tensors) loaded.set(n, t);
    }
  } catch (e) {
    for (const t of loaded.values()) t.dispose();
    throw e;
  }
  const out = new Map<string, Tensor>();
  for (const name of Object.keys(weightMap as object)) {
    const t = loaded.get(name);
    if (t !== undefined) out.set(name, t);
  }
  return out;
}
