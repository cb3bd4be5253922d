// Weights in a folder: one model.safetensors under the shard limit; over it, shards named and split
// the way transformers / huggingface_hub do it, plus model.safetensors.index.json with total_size.
// loadWeights reads either layout bit-exactly and refuses an index that points at missing files or
// tensors, naming the index. A new save removes the other layout's files.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, truncateSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as pt from '../../src/tensor/index.js';
import {
  loadWeights,
  readSafetensors,
  readSafetensorsHeader,
  saveWeights,
  WEIGHTS_INDEX_NAME,
  WEIGHTS_NAME,
} from '../../src/checkpoint/index.js';
import { expectCheckpointError, randomTensor, tempDir, assertSameTensors } from './util.js';

const { dir, cleanup } = tempDir();
after(cleanup);
let n = 0;
const fresh = (): string => join(dir, `w${n++}`);

/** a..e: 40 bytes each; big: 120 bytes. With a 100-byte limit, huggingface_hub's split is [a b] [big] [c d] [e]. */
function sample(): Map<string, pt.Tensor> {
  return new Map([
    ['a', randomTensor('float32', [10])],
    ['b', randomTensor('bfloat16', [20])],
    ['c', randomTensor('int64', [5])],
    ['big', randomTensor('float32', [30])],
    ['d', randomTensor('uint8', [40])],
    ['e', randomTensor('float16', [4, 5])],
  ]);
}
const SHARDS = [
  'model-00001-of-00004.safetensors',
  'model-00002-of-00004.safetensors',
  'model-00003-of-00004.safetensors',
  'model-00004-of-00004.safetensors',
];

describe('saveWeights / loadWeights', () => {
  test('under the limit: one model.safetensors with {format: pt}, no index', () => {
    const d = fresh();
    const w = sample();
    const saved = saveWeights(d, w);
    assert.deepEqual(saved, { files: [WEIGHTS_NAME], totalSize: 320 });
    assert.deepEqual(readdirSync(d), [WEIGHTS_NAME]);
    assert.deepEqual(readSafetensorsHeader(join(d, WEIGHTS_NAME)).metadata, { format: 'pt' });
    assertSameTensors(loadWeights(d), w);
  });

  test('over the limit: shards split and named as transformers does, the index byte for byte', () => {
    const d = fresh();
    const w = sample();
    const saved = saveWeights(d, w, { maxShardBytes: 100 });
    assert.deepEqual(saved.files, [...SHARDS, WEIGHTS_INDEX_NAME]);
    assert.equal(saved.totalSize, 320);
    assert.deepEqual(readdirSync(d).sort(), [...SHARDS, WEIGHTS_INDEX_NAME].sort());
    const held = SHARDS.map((f) =>
      readSafetensorsHeader(join(d, f))
        .entries.map((e) => e.name)
        .sort(),
    );
    assert.deepEqual(held, [['a', 'b'], ['big'], ['c', 'd'], ['e']]);
    for (const f of SHARDS) assert.deepEqual(readSafetensorsHeader(join(d, f)).metadata, { format: 'pt' });
    assert.equal(
      readFileSync(join(d, WEIGHTS_INDEX_NAME), 'utf8'),
      `{
  "metadata": {
    "total_size": 320
  },
  "weight_map": {
    "a": "model-00001-of-00004.safetensors",
    "b": "model-00001-of-00004.safetensors",
    "big": "model-00002-of-00004.safetensors",
    "c": "model-00003-of-00004.safetensors",
    "d": "model-00003-of-00004.safetensors",
    "e": "model-00004-of-00004.safetensors"
  }
}
`,
    );
    assertSameTensors(loadWeights(d), w);
  });

  test('filter: only the shards holding wanted tensors are opened', () => {
    const d = fresh();
    const w = sample();
    saveWeights(d, w, { maxShardBytes: 100 });
    truncateSync(join(d, SHARDS[0]!), 10); // a and b are unreadable now
    const only = loadWeights(d, { filter: (name) => name === 'e' || name === 'big' });
    assertSameTensors(
      only,
      new Map([
        ['e', w.get('e')!],
        ['big', w.get('big')!],
      ]),
    );
    expectCheckpointError(() => loadWeights(d), join(d, SHARDS[0]!), 'header length');
  });

  test('saving the other layout over an old one removes the old files', () => {
    const d = fresh();
    saveWeights(d, sample(), { maxShardBytes: 100 });
    const small = new Map([['x', pt.tensor([1, 2, 3])]]);
    saveWeights(d, small);
    assert.deepEqual(readdirSync(d), [WEIGHTS_NAME]);
    assertSameTensors(loadWeights(d), small);
    writeFileSync(join(d, 'README.md'), 'mine');
    const w = sample();
    saveWeights(d, w, { maxShardBytes: 100 });
    assert.deepEqual(readdirSync(d).sort(), [...SHARDS, WEIGHTS_INDEX_NAME, 'README.md'].sort());
    assertSameTensors(loadWeights(d), w);
    // Fewer shards than before: the surplus old shards go.
    saveWeights(d, w, { maxShardBytes: 200 });
    assert.deepEqual(
      readdirSync(d)
        .filter((f) => f.startsWith('model-'))
        .sort(),
      ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'],
    );
    assertSameTensors(loadWeights(d), w);
  });

  test('a tensor bigger than the limit goes alone in its shard; an empty map makes an empty model.safetensors', () => {
    const d = fresh();
    saveWeights(
      d,
      new Map([
        ['huge', pt.zeros([100])],
        ['tiny', pt.zeros([1])],
      ]),
      { maxShardBytes: 8 },
    );
    const index = JSON.parse(readFileSync(join(d, WEIGHTS_INDEX_NAME), 'utf8')) as { weight_map: Record<string, string> };
    assert.deepEqual(index.weight_map, { huge: 'model-00001-of-00002.safetensors', tiny: 'model-00002-of-00002.safetensors' });
    const e = fresh();
    saveWeights(e, new Map());
    assert.deepEqual(readSafetensors(join(e, WEIGHTS_NAME)).tensors.size, 0);
    expectCheckpointError(() => saveWeights(e, new Map(), { maxShardBytes: 0 }), e, 'maxShardBytes must be a positive integer');
  });
});

describe('a bad index is refused, naming the index', () => {
  function sharded(): string {
    const d = fresh();
    saveWeights(d, sample(), { maxShardBytes: 100 });
    return d;
  }
  const editIndex = (d: string, f: (idx: { weight_map: Record<string, string> }) => void): void => {
    const p = join(d, WEIGHTS_INDEX_NAME);
    const idx = JSON.parse(readFileSync(p, 'utf8')) as { weight_map: Record<string, string> };
    f(idx);
    writeFileSync(p, JSON.stringify(idx));
  };

  test('a shard the weight_map names is missing', () => {
    const d = sharded();
    rmSync(join(d, SHARDS[2]!));
    expectCheckpointError(() => loadWeights(d), join(d, WEIGHTS_INDEX_NAME), SHARDS[2]!, 'does not exist');
  });

  test('a tensor is missing from the shard the weight_map names', () => {
    const d = sharded();
    editIndex(d, (idx) => {
      idx.weight_map['a'] = SHARDS[3]!;
    });
    expectCheckpointError(() => loadWeights(d), join(d, WEIGHTS_INDEX_NAME), `'a' in ${SHARDS[3]}, which does not hold it`);
  });

  test('no weight_map, a path outside the folder, invalid JSON', () => {
    const d = sharded();
    const p = join(d, WEIGHTS_INDEX_NAME);
    writeFileSync(p, '{"metadata": {}}');
    expectCheckpointError(() => loadWeights(d), p, 'has no weight_map object');
    editIndex(d, (idx) => {
      idx.weight_map = { a: '../model.safetensors' };
    });
    expectCheckpointError(() => loadWeights(d), p, "weight_map entry 'a' must be a file name in the same folder");
    writeFileSync(p, '{\n  "weight_map": {\n    "a": "x",\n  }\n}\n');
    expectCheckpointError(() => loadWeights(d), p, 'invalid JSON in weights index', 'line 4 column 3');
  });

  test('no weights at all, a folder that does not exist, a pickle checkpoint', () => {
    const d = fresh();
    mkdirSync(d);
    expectCheckpointError(() => loadWeights(d), d, 'no weights');
    writeFileSync(join(d, 'pytorch_model.bin'), '');
    expectCheckpointError(() => loadWeights(d), d, 'pytorch_model.bin is a pickle');
    expectCheckpointError(() => loadWeights(join(d, 'absent')), join(d, 'absent'), 'no such folder');
    assert.ok(existsSync(d) && statSync(d).isDirectory());
  });
});
