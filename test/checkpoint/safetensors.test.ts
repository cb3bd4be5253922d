// safetensors files: save → load is bit-exact for every dtype and odd shape; the bytes on disk match
// the format (hand-checked header, alignment, padding, the reference writer's order); corrupt,
// truncated and hostile files are refused naming the file and the problem; a failed write leaves
// the previous file untouched. (Python interop: interop.test.ts; sharding: weights.test.ts.)
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, truncateSync, writeFileSync, openSync, writeSync, closeSync, ftruncateSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as pt from '../../src/tensor/index.js';
import type { Handle } from '../../src/tensor/native.js';
import { N } from '../../src/tensor/native.js';
import { readSafetensors, readSafetensorsHeader, writeSafetensors, CheckpointError } from '../../src/checkpoint/index.js';
import { ALL_DTYPES, bytesOf, bitsOf, expectCheckpointError, leftovers, randomTensor, tempDir, assertSameTensors } from './util.js';

const { dir, cleanup } = tempDir();
after(cleanup);
let n = 0;
const fresh = (name = 'f'): string => join(dir, `${name}-${n++}.safetensors`);

describe('save → load is bit-exact', () => {
  test('every dtype, random bits with NaN payloads, -0, infinities, int64 extremes', () => {
    const want = new Map(ALL_DTYPES.map((d, i) => [`w.${d}`, randomTensor(d, [3 + i, 5])]));
    const path = fresh();
    writeSafetensors(path, want);
    const { tensors, metadata } = readSafetensors(path);
    assertSameTensors(tensors, want);
    assert.deepEqual(metadata, {});
    // The awkward values really are in there (not just equal garbage on both sides).
    assert.equal(tensors.get('w.int64')!.data()[0], 2n ** 62n);
    assert.equal(bitsOf(bytesOf(tensors.get('w.bfloat16')!), 'bfloat16')[0], String(0x7fc1));
    assert.equal(bitsOf(bytesOf(tensors.get('w.float32')!), 'float32')[2], String(0x80000000 | 0)); // -0
    assert.deepEqual(
      tensors
        .get('w.bool')!
        .toFlatArray()
        .every((v) => typeof v === 'boolean'),
      true,
    );
  });

  test('0-d tensors and empty tensors of every dtype', () => {
    const want = new Map<string, pt.Tensor>();
    for (const d of ALL_DTYPES) {
      want.set(`scalar.${d}`, randomTensor(d, []));
      want.set(`empty.${d}`, randomTensor(d, [0]));
      want.set(`empty2.${d}`, randomTensor(d, [2, 0, 3]));
    }
    const path = fresh();
    writeSafetensors(path, want, { note: 'odd shapes' });
    const { tensors, metadata } = readSafetensors(path);
    assertSameTensors(tensors, want);
    assert.deepEqual(tensors.get('scalar.float32')!.shape, []);
    assert.deepEqual(tensors.get('empty2.int64')!.shape, [2, 0, 3]);
    assert.deepEqual(metadata, { note: 'odd shapes' });
  });

  test('a non-contiguous (transposed) tensor is written contiguous, values in its logical order', () => {
    const base = pt.arange(12, undefined, 1, { dtype: 'float32' }).reshape(3, 4);
    const tr = base.transpose(0, 1);
    assert.equal(tr.isContiguous, false);
    const path = fresh();
    writeSafetensors(path, { tr });
    const got = readSafetensors(path).tensors.get('tr')!;
    assert.deepEqual(got.shape, [4, 3]);
    assert.deepEqual(got.toArray(), [
      [0, 4, 8],
      [1, 5, 9],
      [2, 6, 10],
      [3, 7, 11],
    ]);
  });

  test('a Record works like a Map; filter reads only the named tensors', () => {
    const path = fresh();
    writeSafetensors(path, { a: pt.tensor([1, 2]), b: pt.tensor([3.5]), c: pt.tensor([true]) });
    const { tensors } = readSafetensors(path, { filter: (name) => name !== 'b' });
    assert.deepEqual([...tensors.keys()].sort(), ['a', 'c']);
    assert.deepEqual(tensors.get('a')!.toArray(), [1, 2]);
    assert.deepEqual(tensors.get('c')!.toArray(), [true]);
  });

  test('loaded tensors belong to the caller: a scope around the load does not free them', () => {
    const path = fresh();
    writeSafetensors(path, { x: pt.tensor([1.5, 2.5]) });
    let escaped: pt.Tensor | null = null;
    pt.scope(() => {
      escaped = readSafetensors(path).tensors.get('x')!;
    });
    assert.equal(escaped!.isDisposed, false, 'a scope disposed a loaded tensor it was not given');
    assert.deepEqual(escaped!.toArray(), [1.5, 2.5]);
    escaped!.dispose();
  });
});

describe('the bytes on disk', () => {
  const f32 = (vals: number[]): Buffer => Buffer.from(new Float32Array(vals).buffer);
  const lenBytes = (n: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    return b;
  };

  test('a header that is already a multiple of 8 bytes: no padding, data right after', () => {
    const path = fresh();
    writeSafetensors(path, { 'attn.0': pt.tensor(new Float32Array([0, 1, 2, 3, 4, 5]), { shape: [1, 2, 3] }) });
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    assert.equal(header.length, 64);
    assert.deepEqual(readFileSync(path), Buffer.concat([lenBytes(64), Buffer.from(header), f32([0, 1, 2, 3, 4, 5])]));
  });

  test('a 65-byte header is padded with 7 spaces to 72', () => {
    const path = fresh();
    writeSafetensors(path, { attn0: pt.tensor(new Float32Array([0, 1, 2, 3, 4, 5]), { shape: [1, 1, 2, 3] }) });
    const header = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
    assert.equal(header.length, 65);
    assert.deepEqual(readFileSync(path), Buffer.concat([lenBytes(72), Buffer.from(header + ' '.repeat(7)), f32([0, 1, 2, 3, 4, 5])]));
  });

  test('no tensors: "{}" padded to 8; metadata comes first as __metadata__', () => {
    const p1 = fresh();
    writeSafetensors(p1, new Map());
    assert.deepEqual(readFileSync(p1), Buffer.concat([lenBytes(8), Buffer.from('{}      ')]));
    const p2 = fresh();
    writeSafetensors(p2, {}, { framework: 'pt' });
    const h = '{"__metadata__":{"framework":"pt"}}'; // 35 bytes → 40
    assert.deepEqual(readFileSync(p2), Buffer.concat([lenBytes(40), Buffer.from(h + ' '.repeat(5))]));
  });

  test('mixed dtypes: laid out by descending alignment then name, each tensor aligned, header decodes by hand', () => {
    const path = fresh();
    writeSafetensors(
      path,
      {
        a: pt.tensor(new Uint8Array([1, 0, 1]), { dtype: 'bool' }),
        b: pt.tensor(new Uint16Array([0x3f80]), { dtype: 'bfloat16' }),
        c: pt.tensor(new Float32Array([1.5, -2])),
        d: pt.tensor(new BigInt64Array([2n ** 62n])),
        e: pt.tensor(new Float64Array([0.25])),
        '10': pt.tensor(new Int16Array([-7])),
      },
      { format: 'pt' },
    );
    const file = readFileSync(path);
    const n = Number(file.readBigUInt64LE(0));
    assert.equal(n % 8, 0);
    const text = file.subarray(8, 8 + n).toString('utf8');
    assert.match(text, /^\{"__metadata__":\{"format":"pt"\},"d":/); // key order as in the file, not JS's integer-first order
    assert.match(text, /\} *$/);
    assert.ok(/^ *$/.test(text.slice(text.lastIndexOf('}') + 1)), 'padding is spaces');
    const header = JSON.parse(text) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    const order = Object.entries(header)
      .filter(([k]) => k !== '__metadata__')
      .sort((x, y) => x[1].data_offsets[0] - y[1].data_offsets[0])
      .map(([k, v]) => `${k}:${v.dtype}:${v.data_offsets.join('-')}`);
    assert.deepEqual(order, ['d:I64:0-8', 'e:F64:8-16', 'c:F32:16-24', 'b:BF16:24-26', '10:I16:26-28', 'a:BOOL:28-31']);
    assert.equal(file.length, 8 + n + 31);
    const data = file.subarray(8 + n);
    assert.equal(data.readBigInt64LE(0), 2n ** 62n);
    assert.equal(data.readDoubleLE(8), 0.25);
    assert.equal(data.readFloatLE(20), -2);
    assert.equal(data.readUInt16LE(24), 0x3f80);
    assert.equal(data.readInt16LE(26), -7);
    assert.deepEqual([...data.subarray(28)], [1, 0, 1]);
  });

  test('readSafetensorsHeader reports entries in data order, the metadata and where data starts', () => {
    const path = fresh();
    writeSafetensors(path, { x: pt.zeros([2, 2], { dtype: 'bfloat16' }), y: pt.zeros([3], { dtype: 'int32' }) }, { format: 'pt' });
    const h = readSafetensorsHeader(path);
    assert.deepEqual(
      h.entries.map((e) => [e.name, e.dtype, e.shape, e.begin, e.end]),
      [
        ['y', 'int32', [3], 0, 12],
        ['x', 'bfloat16', [2, 2], 12, 20],
      ],
    );
    assert.deepEqual(h.metadata, { format: 'pt' });
    assert.equal(h.dataStart, statSync(path).size - 20);
  });
});

describe('bad files are refused, naming the file and the problem', () => {
  /** A file with the given header (object or raw text) and `dataBytes` zero bytes of data. */
  function raw(header: unknown, dataBytes = 0): string {
    const path = fresh('bad');
    const h = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    writeFileSync(path, Buffer.concat([len, h, Buffer.alloc(dataBytes)]));
    return path;
  }
  const entry = (dtype: unknown, shape: unknown, data_offsets: unknown): unknown => ({ dtype, shape, data_offsets });
  const refused = (path: string, ...patterns: (string | RegExp)[]): void => {
    expectCheckpointError(() => readSafetensorsHeader(path), path, ...patterns);
    expectCheckpointError(() => readSafetensors(path), path, ...patterns);
  };

  test('truncated files: the last bytes cut, cut inside the header, shorter than 8 bytes', () => {
    const good = fresh();
    writeSafetensors(good, { w: pt.ones([4, 4]), b: pt.ones([4]) });
    const size = statSync(good).size;
    truncateSync(good, size - 3);
    refused(good, "tensor 'w'", 'truncated');
    const inHeader = fresh();
    writeSafetensors(inHeader, { w: pt.ones([4, 4]) });
    truncateSync(inHeader, 20);
    refused(inHeader, /header length \d+ is larger than the file \(20 bytes\)/);
    const tiny = fresh();
    writeFileSync(tiny, Buffer.from([1, 2, 3, 4, 5]));
    refused(tiny, 'file is 5 bytes, shorter than the 8-byte header length');
    expectCheckpointError(() => readSafetensors(join(dir, 'nope.safetensors')), join(dir, 'nope.safetensors'), 'no such file');
    expectCheckpointError(() => readSafetensors(dir), dir, 'cannot read'); // a folder
  });

  test('garbage header length, and a header over the 100 MB limit', () => {
    const garbage = fresh('bad');
    writeFileSync(garbage, Buffer.concat([Buffer.alloc(8, 0xff), Buffer.from('{}')]));
    refused(garbage, 'header length 18446744073709551615 is larger than the file');
    const huge = fresh('bad');
    const fd = openSync(huge, 'w');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(100_000_001n);
    writeSync(fd, len);
    ftruncateSync(fd, 100_000_100); // sparse: costs no disk
    closeSync(fd);
    refused(huge, 'header length 100000001 is over the 100000000-byte limit');
  });

  test('header that is not UTF-8, not JSON, not an object', () => {
    const path = fresh('bad');
    writeFileSync(path, Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0xff, 0xfe])]));
    refused(path, 'not valid UTF-8');
    refused(raw('{"w": {"dtype": "F32",, }}'), 'header is not valid JSON', 'line 1 column 23');
    refused(raw('[1, 2]'), 'header must be a JSON object, got an array');
    refused(raw('{"__metadata__": {"step": 3}}'), "__metadata__ value 'step' must be a string");
  });

  test('entries without dtype, shape or data_offsets; unknown dtype; bad shapes', () => {
    refused(raw({ w: { shape: [1], data_offsets: [0, 4] } }, 4), "tensor 'w': entry has no dtype");
    refused(raw({ w: { dtype: 'F32', data_offsets: [0, 4] } }, 4), "tensor 'w': entry has no shape");
    refused(raw({ w: { dtype: 'F32', shape: [1] } }, 4), "tensor 'w': entry has no data_offsets");
    refused(raw({ w: 7 }), "tensor 'w': entry must be an object");
    refused(raw({ w: entry('F8_E4M3', [4], [0, 4]) }, 4), 'tensor \'w\': unknown dtype "F8_E4M3"');
    refused(raw({ w: entry('F32', [-1, 2], [0, 4]) }, 4), "tensor 'w': shape [-1,2] must be a list of non-negative integers");
    refused(raw({ w: entry('F32', [1.5], [0, 4]) }, 4), 'shape [1.5]');
  });

  test('wrong offsets: not a pair, end before begin, size mismatch, past the end, overlapping', () => {
    refused(raw({ w: entry('F32', [1], [0]) }, 4), "tensor 'w': data_offsets [0] must be [begin, end]");
    refused(raw({ w: entry('F32', [1], ['0', 4]) }, 4), 'data_offsets ["0",4]');
    refused(raw({ w: entry('F32', [1], [8, 4]) }, 8), 'data_offsets [8, 4] end before they begin');
    refused(raw({ w: entry('F32', [2], [0, 4]) }, 8), 'F32 [2] needs 8 bytes but data_offsets [0, 4] span 4');
    refused(raw({ w: entry('F32', [2], [4, 12]) }, 8), 'reach past the end of the data section (8 bytes', 'truncated');
    refused(
      raw({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }, 12),
      "tensors 'a' (data_offsets [0, 8]) and 'b' (data_offsets [4, 12]) overlap",
    );
    // Empty tensors take no room, wherever they point; gaps are legal.
    const ok = raw({ a: entry('F32', [2], [0, 8]), e: entry('I64', [0], [4, 4]), b: entry('U8', [1], [10, 11]) }, 11);
    assert.deepEqual(
      readSafetensorsHeader(ok).entries.map((e) => e.name),
      ['a', 'e', 'b'],
    );
  });
});

describe('writes are atomic', () => {
  test('a disposed tensor in the map: refused naming file and tensor; the old file is untouched, no temp file left', () => {
    const path = fresh('atomic');
    writeSafetensors(path, { w: pt.ones([3]) });
    const before = readFileSync(path);
    const dead = pt.ones([2]);
    dead.dispose();
    expectCheckpointError(() => writeSafetensors(path, { a: pt.zeros([5]), dead }), path, "tensor 'dead'", 'disposed');
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(leftovers(dir), []);
  });

  test('a failure after part of the data is on disk leaves the previous file intact and removes the temp file', () => {
    const path = fresh('atomic');
    writeSafetensors(path, { w: pt.ones([3]) });
    const before = readFileSync(path);
    let tempAtFailure: { name: string; size: number }[] = [];
    /** A tensor whose bytes cannot be fetched: the write fails with the header and earlier tensors written. */
    class Unreadable extends pt.Tensor {
      override h(op: string): Handle {
        if (op === 'writeSafetensors') {
          tempAtFailure = leftovers(dir).map((name) => ({ name, size: statSync(join(dir, name)).size }));
          throw new Error('device lost');
        }
        return super.h(op);
      }
    }
    const src = pt.ones([1000]);
    const bad = new Unreadable(N.clone(src.h('clone')));
    expectCheckpointError(() => writeSafetensors(path, { a: pt.zeros([1000]), b: bad }), path, "tensor 'b'", 'device lost');
    assert.equal(tempAtFailure.length, 1, 'the failure happened while a temp file was being written');
    assert.ok(tempAtFailure[0]!.name.startsWith(`${path.split('/').pop()}.tmp-${process.pid}-`), tempAtFailure[0]!.name);
    assert.ok(tempAtFailure[0]!.size > 4000, `the temp file already held the first tensor (${tempAtFailure[0]!.size} bytes)`);
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(leftovers(dir), []);
    assert.ok(readdirSync(dir).every((f) => !f.includes('.tmp-')));
  });

  test('names and metadata are checked before anything is written', () => {
    const path = fresh('atomic');
    expectCheckpointError(() => writeSafetensors(path, { __metadata__: pt.ones([1]) }), path, 'invalid tensor name');
    expectCheckpointError(() => writeSafetensors(path, { x: 3 as unknown as pt.Tensor }), path, "'x' is not a Tensor");
    expectCheckpointError(
      () => writeSafetensors(path, {}, { step: 3 as unknown as string }),
      path,
      "metadata value 'step' must be a string",
    );
    expectCheckpointError(
      () => writeSafetensors(join(dir, 'no', 'such', 'dir.safetensors'), {}),
      join(dir, 'no', 'such', 'dir.safetensors'),
      'cannot write',
    );
    assert.throws(() => statSync(path));
    assert.ok(new CheckpointError('f', 'd') instanceof Error);
  });
});
