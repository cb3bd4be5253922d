// Logits of tiny random Llama / Qwen2 / Qwen3 checkpoints (every rope_scaling type, tied and untied,
// left padding) against an independent PyTorch implementation of Hugging Face's modeling code:
// test/fixtures/hf_reference.py, fixtures made by test/fixtures/make_fixtures.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pt from '../../src/tensor/index.js';
import { loadModel } from '../../src/models/index.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/models', import.meta.url));
type Logits = (number | null)[][][] | (number[] | null)[][];
interface Case {
  input_ids: number[][];
  attention_mask?: number[][];
  position_ids?: number[][];
  logits: Logits;
}

function maxDiff(ours: number[][][], want: Logits): number {
  let worst = 0;
  want.forEach((row, b) =>
    row.forEach((pos, t) => {
      if (pos === null) return; // padding query: undefined in HF too
      (pos as number[]).forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - ours[b]![t]![i]!));
      });
    }),
  );
  return worst;
}

const names = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((n) => existsSync(join(FIXTURES, n, 'expected.json'))) : [];

test('fixtures exist for llama, qwen2 and qwen3', () => {
  for (const n of ['llama', 'llama-tied', 'llama3-rope', 'llama-linear', 'llama-dynamic', 'qwen2', 'qwen3'])
    assert.ok(names.includes(n), n);
});

for (const name of names) {
  test(`${name}: logits match the PyTorch reference to 1e-4`, () => {
    const dir = join(FIXTURES, name);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Case & { extra_cases?: (Case & { name: string })[] };
    const { model } = loadModel(dir);
    for (const c of [expected, ...(expected.extra_cases ?? [])]) {
      const ours = pt.noGrad(() =>
        pt.scope(() =>
          model
            .forward(pt.tensor(c.input_ids), {
              attentionMask: c.attention_mask ? pt.tensor(c.attention_mask, { dtype: 'bool' }) : null,
              positions: c.position_ids ? pt.tensor(c.position_ids) : null,
            })
            .toArray(),
        ),
      ) as number[][][];
      const d = maxDiff(ours, c.logits);
      if (process.env.SHOW_DIFF) console.log(name, d);
      assert.ok(d < 1e-4, `${name}${'name' in c ? ` (${(c as { name: string }).name})` : ''}: max |Δlogit| = ${d}`);
    }
    model.dispose();
  });
}
