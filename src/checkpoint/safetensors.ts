// The safetensors file format (https://github.com/huggingface/safetensors), read and written
// bit-exactly for every posttrain dtype.
//
// Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
// {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, ...},
// then the data section; a tensor's bytes are data[b, e), C order, little endian.
//
// Reading validates the header completely before any tensor is made (a truncated, corrupt or
// hostile file is refused with a CheckpointError naming the file and the problem), then reads one
// tensor at a time into a buffer of exactly its size: a checkpoint is never held in memory whole.
// Writing lays the file out the way the reference (Rust) writer does, so files compare byte for
// byte: tensors sorted by descending dtype alignment, then by name; data back to back (so every
// tensor starts aligned to its element size); header padded with spaces to a multiple of 8. Writes
// are atomic: a temp file beside the target, fsynced, renamed over it.
// Knows nothing about model folders or sharding (weights.ts, hf_folder.ts).
import { closeSync, fstatSync, openSync } from 'node:fs';
import { Tensor, keep, tensor as fromTypedArray, type DType, tensorBytes as rawBytes } from '../tensor/index.js';
import { ELEMENT_SIZE, viewBytes } from '../tensor/dtype.js';
import { CheckpointError, messageOf } from './errors.js';
import { describeJsonError, readExactly, writeAll, writeAtomically } from '../common/files.js';

/** Safetensors dtype strings ↔ posttrain dtypes. */
export const SAFETENSORS_DTYPE: Readonly<Record<string, DType>> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};
export const DTYPE_TO_SAFETENSORS: Readonly<Record<DType, string>> = Object.fromEntries(
  Object.entries(SAFETENSORS_DTYPE).map(([k, v]) => [v, k]),
) as Record<DType, string>;

/** The reference writer's dtype order (its Rust enum, increasing alignment); data is laid out by descending rank. */
const WRITE_RANK: Readonly<Record<DType, number>> = {
  bool: 0,
  uint8: 1,
  int8: 2,
  int16: 5,
  float16: 7,
  bfloat16: 8,
  int32: 9,
  float32: 11,
  float64: 12,
  int64: 13,
};

/** The reference reader refuses headers larger than this. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** Byte offsets into the data section (the file offset is dataStart + begin). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** In data order (ascending begin). */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** File offset of the data section: 8 + header length. */
  dataStart: number;
}

export type TensorsInput = Map<string, Tensor> | Record<string, Tensor>;

// ------------------------------------------------------------------ reading
function openForRead(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(path, code === 'ENOENT' ? 'no such file' : `cannot open: ${messageOf(e)}`, { cause: e });
  }
}

/** Reads and validates the header; the file must hold every byte the header points at. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = openForRead(path);
  try {
    return readHeaderFd(fd, path);
  } finally {
    closeSync(fd);
  }
}

function readHeaderFd(fd: number, file: string): SafetensorsHeader {
  const fail = (detail: string): never => {
    throw new CheckpointError(file, detail);
  };
  const size = fstatSync(fd).size;
  if (size < 8) fail(`file is ${size} bytes, shorter than the 8-byte header length: not a safetensors file, or truncated`);
  const lenBytes = new Uint8Array(8);
  readExactly(fd, lenBytes, 0, file, 'the header length', CheckpointError);
  const n = new DataView(lenBytes.buffer).getBigUint64(0, true);
  if (n > BigInt(size - 8)) {
    fail(`header length ${n} is larger than the file (${size} bytes): truncated, or not a safetensors file`);
  }
  if (n > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit`);
  const headerBytes = new Uint8Array(Number(n));
  readExactly(fd, headerBytes, 8, file, 'the header', CheckpointError);
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    fail(`header (${n} bytes) is not valid UTF-8`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid JSON: ${describeJsonError(text, messageOf(e))}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    fail(`header must be a JSON object, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`);
  }
  const dataStart = 8 + Number(n);
  const dataBytes = size - dataStart;
  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') metadata = parseMetadata(value, fail);
    else entries.push(parseEntry(name, value, dataBytes, dataStart, size, fail));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let last: SafetensorsEntry | null = null;
  for (const e of entries) {
    if (e.end === e.begin) continue; // an empty tensor occupies no bytes
    if (last !== null && e.begin < last.end) {
      fail(
        `tensors '${last.name}' (data_offsets [${last.begin}, ${last.end}]) and '${e.name}' ` +
          `(data_offsets [${e.begin}, ${e.end}]) overlap`,
      );
    }
    last = e;
  }
  return { entries, metadata, dataStart };
}

function parseMetadata(value: unknown, fail: (d: string) => never): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('__metadata__ must be an object of strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(`__metadata__ value '${k}' must be a string, got ${JSON.stringify(v)}`);
    out[k] = v as string;
  }
  return out;
}

function parseEntry(
  name: string,
  v: unknown,
  dataBytes: number,
  dataStart: number,
  size: number,
  fail: (d: string) => never,
): SafetensorsEntry {
  const what = `tensor '${name}'`;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`${what}: entry must be an object with dtype, shape and data_offsets`);
  const o = v as Record<string, unknown>;
  for (const key of ['dtype', 'shape', 'data_offsets']) if (!(key in o)) fail(`${what}: entry has no ${key}`);
  const st = o['dtype'];
  if (typeof st !== 'string' || !Object.hasOwn(SAFETENSORS_DTYPE, st)) {
    fail(`${what}: unknown dtype ${JSON.stringify(st)} (supported: ${Object.keys(SAFETENSORS_DTYPE).join(', ')})`);
  }
  const dtype = SAFETENSORS_DTYPE[st as string]!;
  const shape = o['shape'];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`${what}: shape ${JSON.stringify(shape)} must be a list of non-negative integers`);
  }
  const dims = shape as number[];
  const offsets = o['data_offsets'];
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((x) => Number.isSafeInteger(x) && x >= 0)) {
    fail(`${what}: data_offsets ${JSON.stringify(offsets)} must be [begin, end], two non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`${what}: data_offsets [${begin}, ${end}] end before they begin`);
  const numel = dims.reduce((a, b) => a * b, 1);
  const bytes = numel * ELEMENT_SIZE[dtype];
  if (!Number.isSafeInteger(bytes)) fail(`${what}: shape [${dims.join(', ')}] is too large`);
  if (end - begin !== bytes) {
    fail(`${what}: ${st} [${dims.join(', ')}] needs ${bytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  if (end > dataBytes) {
    fail(
      `${what}: data_offsets [${begin}, ${end}] reach past the end of the data section (${dataBytes} bytes; ` +
        `the tensor would end at byte ${dataStart + end} of a ${size}-byte file): the file is truncated`,
    );
  }
  return { name, dtype, shape: dims, begin, end };
}

export interface SafetensorsReadOptions {
  /** Load only the tensors whose name passes (the others are not read from disk). */
  filter?: (name: string) => boolean;
}

/**
 * Reads a safetensors file. The tensors are CPU tensors marked keep(): no scope disposes them, the
 * caller owns them. Nothing is left allocated if the read fails.
 */
export function readSafetensors(
  path: string,
  opts: SafetensorsReadOptions = {},
): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const fd = openForRead(path);
  const tensors = new Map<string, Tensor>();
  try {
    const header = readHeaderFd(fd, path);
    for (const e of header.entries) {
      if (opts.filter && !opts.filter(e.name)) continue;
      const bytes = new Uint8Array(e.end - e.begin);
      readExactly(fd, bytes, header.dataStart + e.begin, path, `tensor '${e.name}'`, CheckpointError);
      tensors.set(e.name, keep(fromTypedArray(viewBytes(bytes.buffer, e.dtype), { dtype: e.dtype, shape: e.shape })));
    }
    return { tensors, metadata: header.metadata };
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  } finally {
    closeSync(fd);
  }
}

// ------------------------------------------------------------------ writing
export interface TensorInfo {
  name: string;
  tensor: Tensor;
  dtype: DType;
  shape: number[];
  bytes: number;
}

/** The (name, tensor) pairs of a Map or Record, checked: names non-empty, values live Tensors. */
export function describeTensors(tensors: TensorsInput, file: string): TensorInfo[] {
  const pairs = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  return pairs.map(([name, t]) => {
    if (typeof name !== 'string' || name === '' || name === '__metadata__') {
      throw new CheckpointError(file, `invalid tensor name ${JSON.stringify(name)}`);
    }
    if (!(t instanceof Tensor)) throw new CheckpointError(file, `'${name}' is not a Tensor`);
    try {
      const dtype = t.dtype;
      const shape = t.shape;
      return { name, tensor: t, dtype, shape, bytes: shape.reduce((a, b) => a * b, 1) * ELEMENT_SIZE[dtype] };
    } catch (e) {
      throw new CheckpointError(file, `cannot write tensor '${name}': ${messageOf(e)}`, { cause: e });
    }
  });
}

/** Byte order of UTF-8 strings (= code point order), as Rust and Python sort names. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The header bytes (padded) for tensors already in data order. */
function encodeHeader(infos: readonly TensorInfo[], metadata: Record<string, string> | undefined): Uint8Array {
  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(compareNames);
    parts.push(`"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  let offset = 0;
  for (const t of infos) {
    const entry = { dtype: DTYPE_TO_SAFETENSORS[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.bytes] };
    parts.push(`${JSON.stringify(t.name)}:${JSON.stringify(entry)}`);
    offset += t.bytes;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(padded).fill(0x20);
  out.set(json);
  return out;
}

/**
 * Writes `tensors` (any device, any strides: each is written as a contiguous CPU copy) to `path`,
 * atomically. `metadata` becomes `__metadata__` (string values only); omitted when undefined.
 */
export function writeSafetensors(path: string, tensors: TensorsInput, metadata?: Record<string, string>): void {
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new CheckpointError(path, `metadata value '${k}' must be a string, got ${typeof v}`);
    }
  }
  const infos = describeTensors(tensors, path).sort((a, b) => WRITE_RANK[b.dtype] - WRITE_RANK[a.dtype] || compareNames(a.name, b.name));
  const header = encodeHeader(infos, metadata);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(header.byteLength), true);
  try {
    writeAtomically(path, (fd) => {
      writeAll(fd, length);
      writeAll(fd, header);
      for (const t of infos) writeAll(fd, tensorBytes(t, path));
    });
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(path, `cannot write: ${messageOf(e)}`, { cause: e });
  }
}

function tensorBytes(t: TensorInfo, file: string): Uint8Array {
  let buf: ArrayBuffer;
  try {
    buf = rawBytes(t.tensor, 'writeSafetensors');
  } catch (e) {
    throw new CheckpointError(file, `cannot write tensor '${t.name}': ${messageOf(e)}`, { cause: e });
  }
  if (buf.byteLength !== t.bytes) {
    throw new CheckpointError(file, `tensor '${t.name}' changed while being written (${buf.byteLength} bytes, header says ${t.bytes})`);
  }
  return new Uint8Array(buf);
}
