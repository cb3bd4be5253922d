// Shared by the checkpoint tests: temp folders, raw bytes and bit patterns of tensors, random-bit
// tensors of every dtype with the awkward values placed in them, and a CheckpointError matcher.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as pt from '../../src/tensor/index.js';
import { N } from '../../src/tensor/native.js';
import { viewBytes, ELEMENT_SIZE } from '../../src/tensor/dtype.js';
import { CheckpointError } from '../../src/checkpoint/index.js';

/** A fresh temp folder; `cleanup()` removes it. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'posttrain-ckpt-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The raw little-endian bytes of a tensor (a contiguous CPU copy). */
export function bytesOf(t: pt.Tensor): Uint8Array {
  return new Uint8Array(N.toBuffer(t.h('test')));
}

/** The elements as integers of the element's width (uint8 / int16 / int32 / int64), as strings: exact bits. */
export function bitsOf(bytes: Uint8Array, dtype: pt.DType): string[] {
  const buf = bytes.slice().buffer;
  switch (ELEMENT_SIZE[dtype]) {
    case 1:
      return Array.from(new Uint8Array(buf), String);
    case 2:
      return Array.from(new Int16Array(buf), String);
    case 4:
      return Array.from(new Int32Array(buf), String);
    default:
      return Array.from(new BigInt64Array(buf), String);
  }
}

/** Awkward bit patterns put at the start of random-bit tensors (little-endian element values). */
const SPECIAL: Partial<Record<pt.DType, (number | bigint)[]>> = {
  float32: [0x7fc00001, 0xffc12345, 0x80000000, 0x7f800000, 0x00000001], // NaN payloads, -0, inf, denormal
  float64: [0x7ff8000000000001n, 0x8000000000000000n, 0xfff0000000000000n],
  bfloat16: [0x7fc1, 0xff81, 0x8000, 0x7f80, 0x0001],
  float16: [0x7e01, 0xfc01, 0x8000, 0x7c00, 0x0001],
  int64: [2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n, -1n],
  int32: [-(2 ** 31), 2 ** 31 - 1],
};

/** A tensor of `dtype` and `shape` with random bits (0/1 for bool), awkward values first. */
export function randomTensor(dtype: pt.DType, shape: number[]): pt.Tensor {
  const numel = shape.reduce((a, b) => a * b, 1);
  const bytes = new Uint8Array(randomBytes(numel * ELEMENT_SIZE[dtype]));
  if (dtype === 'bool') for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i]! & 1;
  const view = new DataView(bytes.buffer);
  (SPECIAL[dtype] ?? []).slice(0, numel).forEach((v, i) => {
    const size = ELEMENT_SIZE[dtype];
    if (size === 8) view.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(v)), true);
    else if (size === 4) view.setUint32(i * 4, Number(v) >>> 0, true);
    else view.setUint16(i * 2, Number(v), true);
  });
  return pt.tensor(viewBytes(bytes.buffer, dtype), { dtype, shape });
}

/** Asserts that fn throws a CheckpointError for `file` whose message holds every pattern. */
export function expectCheckpointError(fn: () => unknown, file: string, ...patterns: (string | RegExp)[]): CheckpointError {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== null, `expected a CheckpointError for ${file}, nothing was thrown`);
  assert.ok(caught instanceof CheckpointError, `expected a CheckpointError, got ${String(caught)}`);
  assert.equal(caught.file, file, caught.message);
  assert.ok(caught.message.startsWith(`${file}: `), `message should start with the file: ${caught.message}`);
  for (const p of patterns) {
    if (typeof p === 'string') assert.ok(caught.message.includes(p), `message should mention ${JSON.stringify(p)}: ${caught.message}`);
    else assert.match(caught.message, p);
  }
  return caught;
}

/** Names in `dir` that look like leftovers of an atomic write (temp files or folders). */
export function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.(tmp|old)-\d+/.test(f));
}

/** Whether Debian's python3 with torch is here (the independent reader/writer tests need it). */
export const PYTHON = '/usr/bin/python3';
export function pythonTorchMissing(): string | false {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? false : `python3 with torch is not available (${r.error?.message ?? r.stderr.trim().split('\n').pop()})`;
}

/** The pid of a process that has exited (for leftovers of a "crashed" save). */
export function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.ok(r.pid !== undefined && r.pid > 0);
  return r.pid!;
}

export const ALL_DTYPES: pt.DType[] = ['float64', 'float32', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'];

/** Same names, dtypes, shapes and bit patterns (NaN payloads, -0 and all). */
export function assertSameTensors(got: Map<string, pt.Tensor>, want: Map<string, pt.Tensor>): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [name, w] of want) {
    const g = got.get(name)!;
    assert.equal(g.dtype, w.dtype, name);
    assert.deepEqual(g.shape, w.shape, name);
    assert.deepEqual(bitsOf(bytesOf(g), g.dtype), bitsOf(bytesOf(w), w.dtype), `bits of ${name}`);
  }
}
