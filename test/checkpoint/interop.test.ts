// Independent checks of the format with Debian's python3-torch (skipped where it is missing):
// Python parses our files with json + struct, applying the reference reader's rules (header starts
// with '{', length a multiple of 8, offsets contiguous from 0 and covering the data exactly, each
// tensor aligned), and rebuilds every tensor with torch.frombuffer; Python writes a file by hand
// and we read it; Python re-serialises our shard index the way transformers does and compares text.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pt from '../../src/tensor/index.js';
import { readSafetensors, saveWeights, writeSafetensors } from '../../src/checkpoint/index.js';
import { ALL_DTYPES, PYTHON, bitsOf, bytesOf, pythonTorchMissing, randomTensor, tempDir } from './util.js';

const { dir, cleanup } = tempDir();
after(cleanup);
const missing = pythonTorchMissing();

function python(script: string, ...args: string[]): unknown {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `python failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

const PREAMBLE = `
import json, struct, sys, torch
DT = {'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64,
      'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool}
BITS = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}
def bits(t):
    return [str(v) for v in t.reshape(-1).view(BITS[t.element_size()]).tolist()]
`;

const READER = `${PREAMBLE}
data = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', data[:8])
assert n % 8 == 0, 'header length is not a multiple of 8'
text = data[8:8 + n].decode('utf-8')
assert text.startswith('{'), 'header does not start with {'
header = json.loads(text)
meta = header.pop('__metadata__', None)
body = data[8 + n:]
pos, out = 0, {}
for name, e in sorted(header.items(), key=lambda kv: kv[1]['data_offsets']):
    begin, end = e['data_offsets']
    assert begin == pos, f'{name}: starts at {begin}, expected {pos}'
    pos = end
    dtype = DT[e['dtype']]
    size = torch.empty((), dtype=dtype).element_size()
    assert (8 + n + begin) % size == 0, f'{name} is not aligned'
    raw = bytearray(body[begin:end])
    t = torch.frombuffer(raw, dtype=dtype).reshape(e['shape']) if raw else torch.empty(e['shape'], dtype=dtype)
    finite = t.is_floating_point() and bool(torch.isfinite(t).all())
    out[name] = {'dtype': str(t.dtype), 'shape': list(t.shape), 'bits': bits(t),
                 'sum': float(t.double().sum()) if finite else None}
assert pos == len(body), f'data section is {len(body)} bytes, tensors cover {pos}'
print(json.dumps({'metadata': meta, 'tensors': out}))
`;

const WRITER = `${PREAMBLE}
torch.manual_seed(0)
NAME = {v: k for k, v in DT.items()}
ts = {
    'u8': torch.tensor([0, 255, 7], dtype=torch.uint8),    # 3 bytes first: every later tensor is misaligned
    'f32': torch.randn(3, 4),
    'f64': torch.randn(5, dtype=torch.float64),
    'bf16': torch.randn(2, 3).to(torch.bfloat16),
    'bf16_special': torch.tensor([0x7fc1, -127, -32768, 0x7f80], dtype=torch.int16).view(torch.bfloat16),
    'f16': torch.randn(7).to(torch.float16),
    'i64': torch.tensor([2**62, -2**63, 2**63 - 1, -1]),
    'i32': torch.tensor([-2**31, 7], dtype=torch.int32),
    'i16': torch.tensor([-32768, 32767], dtype=torch.int16),
    'i8': torch.tensor([-128, 127, 0], dtype=torch.int8),
    'mask': torch.tensor([[True, False], [False, True]]),
    'scalar': torch.tensor(2.5),
    'empty': torch.zeros(2, 0),
}
def raw(t):
    return (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).contiguous().numpy().tobytes()
header, blobs, pos = {'__metadata__': {'format': 'pt', 'writer': 'python'}}, [], 0
for name, t in ts.items():
    b = raw(t)
    header[name] = {'dtype': NAME[t.dtype], 'shape': list(t.shape), 'data_offsets': [pos, pos + len(b)]}
    pos += len(b)
    blobs.append(b)
h = json.dumps(header).encode()
h += b' ' * (-len(h) % 8)
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
print(json.dumps({name: {'dtype': str(t.dtype), 'shape': list(t.shape), 'bits': bits(t)} for name, t in ts.items()}))
`;

type PyTensor = { dtype: string; shape: number[]; bits: string[]; sum?: number | null };

describe('an independent reader and writer (python3 + torch)', () => {
  test('python reads our file: same dtypes, shapes, bits and sums', { skip: missing }, () => {
    const ours = new Map<string, pt.Tensor>();
    for (const d of ALL_DTYPES) ours.set(`bits.${d}`, randomTensor(d, [2, 3, 5]));
    for (const d of ALL_DTYPES) ours.set(`scalar.${d}`, randomTensor(d, []));
    ours.set('empty.bf16', randomTensor('bfloat16', [4, 0]));
    const normal = pt.randn([17, 3]);
    ours.set('normal.f32', normal);
    ours.set('normal.bf16', normal.to('bfloat16'));
    ours.set('transposed.f64', pt.randn([3, 5], { dtype: 'float64' }).t());
    const path = join(dir, 'ours.safetensors');
    writeSafetensors(path, ours, { format: 'pt', note: 'é ünïcode' });
    const got = python(READER, path) as { metadata: Record<string, string>; tensors: Record<string, PyTensor> };
    assert.deepEqual(got.metadata, { format: 'pt', note: 'é ünïcode' });
    assert.deepEqual(Object.keys(got.tensors).sort(), [...ours.keys()].sort());
    for (const [name, t] of ours) {
      const py = got.tensors[name]!;
      assert.equal(py.dtype, `torch.${t.dtype}`, name);
      assert.deepEqual(py.shape, t.shape, name);
      assert.deepEqual(py.bits, bitsOf(bytesOf(t), t.dtype), `bits of ${name}`);
    }
    for (const name of ['normal.f32', 'normal.bf16', 'transposed.f64']) {
      const jsSum = Array.from(ours.get(name)!.data() as Float32Array).reduce((a, b) => a + b, 0);
      const pySum = got.tensors[name]!.sum!;
      assert.ok(Math.abs(jsSum - pySum) <= 1e-9 * (1 + Math.abs(jsSum)), `sum of ${name}: ours ${jsSum}, python ${pySum}`);
    }
  });

  test('we read a file python wrote by hand (unaligned data, bf16 via int16 view) bit-exactly', { skip: missing }, () => {
    const path = join(dir, 'python.safetensors');
    const want = python(WRITER, path) as Record<string, PyTensor>;
    const { tensors, metadata } = readSafetensors(path);
    assert.deepEqual(metadata, { format: 'pt', writer: 'python' });
    assert.deepEqual([...tensors.keys()].sort(), Object.keys(want).sort());
    for (const [name, py] of Object.entries(want)) {
      const t = tensors.get(name)!;
      assert.equal(`torch.${t.dtype}`, py.dtype, name);
      assert.deepEqual(t.shape, py.shape, name);
      assert.deepEqual(bitsOf(bytesOf(t), t.dtype), py.bits, `bits of ${name}`);
    }
    assert.deepEqual(tensors.get('i64')!.data(), new BigInt64Array([2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n, -1n]));
    assert.deepEqual(tensors.get('mask')!.toArray(), [
      [true, false],
      [false, true],
    ]);
    assert.equal(tensors.get('scalar')!.item(), 2.5);
  });

  test("our shard index is byte-identical to python's json.dumps(index, indent=2, sort_keys=True)", { skip: missing }, () => {
    const sub = join(dir, 'sharded');
    const w: Record<string, pt.Tensor> = {};
    for (const name of ['z.weight', 'a.weight', 'layers.10.w', 'layers.2.w', 'emb.ñ', '7']) w[name] = pt.ones([8]);
    saveWeights(sub, w, { maxShardBytes: 70 });
    const indexPath = join(sub, 'model.safetensors.index.json');
    const same = python(
      `
import json, sys
text = open(sys.argv[1], encoding='utf-8').read()
print(json.dumps(text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\\n"))
`,
      indexPath,
    );
    assert.equal(same, true, readFileSync(indexPath, 'utf8'));
  });
});
