// TensorBoard event files: CRC-32C against its check value, every record's framing and masked CRCs,
// and the Event / Summary protobufs decoded by a reader written here from the format description
// (not from the writer), for a real SFT run with report_to: tensorboard — the same losses as
// metrics.jsonl, at the same steps, eval under eval/.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c, maskedCrc32c } from '../../src/common/tensorboard.js';
import { trainSft } from '../../src/trainers/sft.js';
import { resolveConfig, ConfigError } from '../../src/common/schema.js';
import { schemaWithDefaults } from '../../src/trainers/sft_config.js';
import { makeSftSetup, sftConfig } from '../helpers/sft_setup.js';

const setup = makeSftSetup(24);
after(() => rmSync(setup.dir, { recursive: true, force: true }));

interface Event {
  wallTime: number;
  step: number;
  fileVersion?: string;
  /** A SessionLog START event (TensorBoard purges earlier files' events at this step and later). */
  sessionStart?: boolean;
  values: Record<string, number>;
}

/** Protobuf wire format: (field, wire type, value) triples of one message. */
function fields(buf: Buffer): [number, number, number | bigint | Buffer][] {
  const out: [number, number, number | bigint | Buffer][] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n,
      shift = 0n;
    for (;;) {
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3,
      wire = key & 7;
    if (wire === 0) out.push([field, wire, varint()]);
    else if (wire === 1) {
      out.push([field, wire, buf.readDoubleLE(i)]);
      i += 8;
    } else if (wire === 5) {
      out.push([field, wire, buf.readFloatLE(i)]);
      i += 4;
    } else if (wire === 2) {
      const n = Number(varint());
      out.push([field, wire, buf.subarray(i, i + n)]);
      i += n;
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}

function readEvents(file: string): Event[] {
  const buf = readFileSync(file);
  const events: Event[] = [];
  for (let i = 0; i < buf.length;) {
    const len = buf.subarray(i, i + 8);
    assert.equal(buf.readUInt32LE(i + 8), maskedCrc32c(len), 'length CRC');
    const n = Number(buf.readBigUInt64LE(i));
    const data = buf.subarray(i + 12, i + 12 + n);
    assert.equal(buf.readUInt32LE(i + 12 + n), maskedCrc32c(data), 'data CRC');
    i += 12 + n + 4;
    const e: Event = { wallTime: 0, step: 0, values: {} };
    for (const [f, , v] of fields(data)) {
      if (f === 1) e.wallTime = v as number;
      else if (f === 2) e.step = Number(v);
      else if (f === 3) e.fileVersion = (v as Buffer).toString('utf8');
      else if (f === 7) e.sessionStart = fields(v as Buffer).some(([sf, , sv]) => sf === 1 && sv === 1n);
      else if (f === 5)
        for (const [vf, , value] of fields(v as Buffer)) {
          assert.equal(vf, 1);
          let tag = '',
            x = NaN;
          for (const [sf, , sv] of fields(value as Buffer)) {
            if (sf === 1) tag = (sv as Buffer).toString('utf8');
            if (sf === 2) x = sv as number;
          }
          e.values[tag] = x;
        }
    }
    events.push(e);
  }
  return events;
}

test("CRC-32C matches its check value; the mask is TFRecord's", () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  const c = crc32c(Buffer.from('abc'));
  assert.equal(maskedCrc32c(Buffer.from('abc')), ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0);
});

test('report_to: tensorboard writes runs/events.out.tfevents.* with the losses of metrics.jsonl at their steps', async () => {
  const out = join(setup.dir, 'tb');
  await trainSft(sftConfig(setup, out, { max_steps: 5, eval_fraction: 0.2, eval_steps: 2, report_to: ['tensorboard'] }), { quiet: true });
  const files = readdirSync(join(out, 'runs')).filter((f) => f.startsWith('events.out.tfevents.'));
  assert.equal(files.length, 1);
  const events = readEvents(join(out, 'runs', files[0]!));
  assert.equal(events[0]!.fileVersion, 'brain.Event:2');
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);
  const train = metrics.filter((m) => m['loss'] !== undefined);
  const tbTrain = events.filter((e) => 'train/loss' in e.values);
  assert.deepEqual(
    tbTrain.map((e) => e.step),
    train.map((m) => m['step']),
  );
  tbTrain.forEach((e, i) => assert.equal(e.values['train/loss'], Math.fround(train[i]!['loss']!)));
  assert.ok(tbTrain.every((e) => 'train/learning_rate' in e.values || 'train/lr' in e.values));
  const evals = events.filter((e) => 'eval/loss' in e.values);
  assert.deepEqual(
    evals.map((e) => e.step),
    metrics.filter((m) => m['eval_loss'] !== undefined).map((m) => m['step']),
  );
  assert.ok(events.every((e) => Math.abs(e.wallTime - Date.now() / 1000) < 600));
});

test('report_to takes tensorboard, all or none; anything else is refused naming the choices', () => {
  assert.throws(
    () => resolveConfig(schemaWithDefaults({}), { ...sftConfig(setup, join(setup.dir, 'x')), report_to: ['wandb'] }, 'test', {}),
    (e: unknown) => e instanceof ConfigError && /report_to.*entries must be among tensorboard \| all \| none, got 'wandb'/.test(e.message),
  );
});

test('a resumed run starts its event file with a session start at its first step again, so TensorBoard drops the replayed steps', async () => {
  const out = join(setup.dir, 'tb-resume');
  const cfg = sftConfig(setup, out, { max_steps: 6, save_steps: 2, report_to: ['tensorboard'] });
  await trainSft(cfg, { quiet: true, stopAfterStep: 3 }); // steps 1–3 logged, checkpoint 2
  await new Promise((r) => setTimeout(r, 1100)); // event file names carry the second
  await trainSft(cfg, { quiet: true });
  const files = readdirSync(join(out, 'runs'))
    .filter((f) => f.startsWith('events.out.tfevents.'))
    .sort();
  assert.equal(files.length, 2);
  const second = readEvents(join(out, 'runs', files[1]!));
  assert.deepEqual(
    second.slice(0, 2).map((e) => [e.fileVersion ?? null, e.sessionStart ?? false, e.step]),
    [
      ['brain.Event:2', false, 0],
      [null, true, 3],
    ],
  );
  // TensorBoard's purge of orphaned data: a START at step T drops what earlier files hold at T and later
  const seen: Event[] = [];
  for (const f of files)
    for (const e of readEvents(join(out, 'runs', f))) {
      if (e.sessionStart) seen.splice(0, seen.length, ...seen.filter((x) => x.step < e.step));
      else if ('train/loss' in e.values) seen.push(e);
    }
  const train = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>)
    .filter((m) => m['loss'] !== undefined);
  assert.deepEqual(
    seen.map((e) => [e.step, e.values['train/loss']]),
    train.map((m) => [m['step'], Math.fround(m['loss']!)]),
    'steps 1–6 once each, as metrics.jsonl',
  );
});
