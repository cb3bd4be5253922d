// A TensorBoard event-file writer for scalars, so `tensorboard --logdir RUN_DIR` reads a run's
// metrics (transformers' `report_to: tensorboard`). No maintained npm writer exists, and the format
// is small: a file of records, each
//   uint64 length | uint32 masked CRC-32C of the length | Event protobuf | uint32 masked CRC-32C of it
// where Event is { wall_time: double = 1, step: int64 = 2, file_version: string = 3, summary = 5 }
// and Summary.Value is { tag: string = 1, simple_value: float = 2 }. The first record carries
// file_version "brain.Event:2". Records are appended synchronously (a crash loses at most the
// record being written, which TensorBoard skips by its CRC). A resumed run writes a
// SessionLog START event (Event field 7, SessionLog { status = 1: START }) at the first step it
// records again: TensorBoard then drops the earlier files' events at that step and later (its
// purge of orphaned data; PyTorch's SummaryWriter(purge_step=T) writes the same), so the curves
// hold every step once, as metrics.jsonl does.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli), as TFRecord uses it. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC32C_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15, add a constant. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
}

const utf8 = (s: string) => [...Buffer.from(s, 'utf8')];
const lengthDelimited = (field: number, body: number[]) => [(field << 3) | 2, ...varint(body.length), ...body];

function double(field: number, x: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return [(field << 3) | 1, ...b];
}

function float(field: number, x: number): number[] {
  const b = Buffer.alloc(4);
  b.writeFloatLE(x);
  return [(field << 3) | 5, ...b];
}

/** An Event message: wall time, step, and a file version or scalar values. */
export function encodeEvent(e: {
  wallTime: number;
  step?: number;
  fileVersion?: string;
  scalars?: Record<string, number>;
  sessionStart?: boolean;
}): Uint8Array {
  const bytes = [...double(1, e.wallTime)];
  if (e.step !== undefined) bytes.push((2 << 3) | 0, ...varint(e.step));
  if (e.fileVersion !== undefined) bytes.push(...lengthDelimited(3, utf8(e.fileVersion)));
  if (e.sessionStart) bytes.push(...lengthDelimited(7, [(1 << 3) | 0, 1])); // SessionLog { status: START }
  if (e.scalars) {
    const values = Object.entries(e.scalars).flatMap(([tag, v]) => lengthDelimited(1, [...lengthDelimited(1, utf8(tag)), ...float(2, v)]));
    bytes.push(...lengthDelimited(5, values));
  }
  return Uint8Array.from(bytes);
}

/** One TFRecord around `data`. */
export function record(data: Uint8Array): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(data.length));
  const crcLen = Buffer.alloc(4);
  crcLen.writeUInt32LE(maskedCrc32c(len));
  const crcData = Buffer.alloc(4);
  crcData.writeUInt32LE(maskedCrc32c(data));
  return Buffer.concat([len, crcLen, Buffer.from(data), crcData]);
}

/** Appends scalar events to one events.out.tfevents file in `dir`. */
export class TensorBoardWriter {
  readonly file: string;
  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    const now = Date.now() / 1000;
    this.file = join(dir, `events.out.tfevents.${Math.floor(now)}.${hostname()}.${process.pid}`);
    writeFileSync(this.file, record(encodeEvent({ wallTime: now, fileVersion: 'brain.Event:2' })));
  }

  /** A (re)start at `step`: TensorBoard forgets the events of earlier files at this step and later. */
  sessionStart(step: number): void {
    appendFileSync(this.file, record(encodeEvent({ wallTime: Date.now() / 1000, step, sessionStart: true })));
  }

  /** The numeric fields of `values` at `step` (others are skipped), tags as given ("train/loss"). */
  scalars(step: number, values: Record<string, unknown>): void {
    const scalars = Object.fromEntries(
      Object.entries(values).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])),
    );
    if (Object.keys(scalars).length === 0) return;
    appendFileSync(this.file, record(encodeEvent({ wallTime: Date.now() / 1000, step, scalars })));
  }
}
