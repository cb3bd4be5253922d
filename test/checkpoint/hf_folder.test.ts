// Hugging Face model folders: save → load round trip (config, generation config, weights, tokenizer
// files verbatim); saving over a folder replaces it completely; a failed save leaves the old folder
// exactly as it was; leftovers of a crashed save are cleaned up by the next one; missing or broken
// files are refused naming the path (readJson gives line and column).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as pt from '../../src/tensor/index.js';
import { CheckpointError, loadHfFolder, saveHfFolder, TOKENIZER_FILES } from '../../src/checkpoint/index.js';
import { readJson } from '../../src/common/files.js';
import { FileError } from '../../src/common/errors.js';
import { bitsOf, bytesOf, deadPid, expectCheckpointError, leftovers, randomTensor, tempDir } from './util.js';

const { dir: root, cleanup } = tempDir();
after(cleanup);
let n = 0;
const fresh = (): string => join(root, `model${n++}`);

const CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 8,
  rope_theta: 10000.0,
  tie_word_embeddings: false,
};
const weights = (): Map<string, pt.Tensor> =>
  new Map([
    ['model.embed_tokens.weight', randomTensor('bfloat16', [16, 8])],
    ['model.norm.weight', randomTensor('float32', [8])],
    ['lm_head.weight', randomTensor('bfloat16', [16, 8])],
  ]);

/** Every file under `dir` (recursively) with its bytes: a folder's exact state. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p, `${rel}${e}/`);
      else out[`${rel}${e}`] = readFileSync(p).toString('base64');
    }
  };
  walk(dir, '');
  return out;
}

function assertSameWeights(got: Map<string, pt.Tensor>, want: Map<string, pt.Tensor>): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [name, w] of want) {
    assert.equal(got.get(name)!.dtype, w.dtype);
    assert.deepEqual(got.get(name)!.shape, w.shape);
    assert.deepEqual(bitsOf(bytesOf(got.get(name)!), w.dtype), bitsOf(bytesOf(w), w.dtype), name);
  }
}

describe('saveHfFolder / loadHfFolder', () => {
  test('round trip: config.json text, generation config, weights bit-exact, tokenizer files verbatim', () => {
    const dir = fresh();
    const w = weights();
    const binary = new Uint8Array([0, 255, 10, 13, 0x80, 1]);
    const tokJson = '{"version": "1.0", "model": {"type": "BPE"}}  \n';
    saveHfFolder(dir, {
      config: CONFIG,
      generationConfig: { eos_token_id: [1, 2], temperature: 0.6 },
      weights: w,
      tokenizerFiles: { 'tokenizer.json': tokJson, 'tokenizer.model': binary, 'chat_template.jinja': '{{ messages }}' },
    });
    assert.equal(
      readFileSync(join(dir, 'config.json'), 'utf8'),
      `{
  "architectures": [
    "LlamaForCausalLM"
  ],
  "model_type": "llama",
  "hidden_size": 8,
  "rope_theta": 10000,
  "tie_word_embeddings": false
}
`,
    );
    assert.equal(readFileSync(join(dir, 'tokenizer.json'), 'utf8'), tokJson);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'tokenizer.model'))), binary);
    assert.deepEqual(readdirSync(dir).sort(), [
      'chat_template.jinja',
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer.model',
    ]);
    assert.deepEqual(leftovers(root), []);
    const f = loadHfFolder(dir);
    assert.deepEqual(f.config, CONFIG);
    assert.deepEqual(f.generationConfig, { eos_token_id: [1, 2], temperature: 0.6 });
    assert.equal(f.dir, dir);
    assert.deepEqual(f.tokenizerFiles, ['tokenizer.json', 'tokenizer.model', 'chat_template.jinja']);
    assert.deepEqual(
      TOKENIZER_FILES.filter((t) => f.tokenizerFiles.includes(t)),
      f.tokenizerFiles,
    );
    assertSameWeights(f.weights, w);
    const only = loadHfFolder(dir, { filter: (name) => name.startsWith('lm_head') });
    assert.deepEqual([...only.weights.keys()], ['lm_head.weight']);
  });

  test('sharded weights inside the folder; no generation config means null', () => {
    const dir = fresh();
    const w = weights();
    saveHfFolder(dir, { config: CONFIG, weights: w, maxShardBytes: 300 });
    assert.deepEqual(readdirSync(dir).sort(), [
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
    ]);
    const f = loadHfFolder(dir);
    assert.equal(f.generationConfig, null);
    assert.deepEqual(f.tokenizerFiles, []);
    assertSameWeights(f.weights, w);
  });

  test('saving over a folder replaces it completely (stale files, shards and tokenizer files go)', () => {
    const dir = fresh();
    saveHfFolder(dir, {
      config: { ...CONFIG, hidden_size: 1 },
      generationConfig: { temperature: 1 },
      weights: weights(),
      maxShardBytes: 300,
      tokenizerFiles: { 'tokenizer.json': '{}', 'merges.txt': 'a b\n' },
    });
    writeFileSync(join(dir, 'junk.txt'), 'left by someone');
    const w2 = new Map([['only.weight', randomTensor('float16', [3, 3])]]);
    saveHfFolder(dir, { config: CONFIG, weights: w2, tokenizerFiles: { 'vocab.json': '{"a": 0}' } });
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model.safetensors', 'vocab.json']);
    const f = loadHfFolder(dir);
    assert.deepEqual(f.config, CONFIG);
    assert.equal(f.generationConfig, null);
    assert.deepEqual(f.tokenizerFiles, ['vocab.json']);
    assertSameWeights(f.weights, w2);
    assert.deepEqual(leftovers(root), []);
  });

  test('a failed save (a disposed tensor) leaves the old folder byte for byte, and no temp folder', () => {
    const dir = fresh();
    saveHfFolder(dir, { config: CONFIG, generationConfig: { top_p: 0.9 }, weights: weights(), tokenizerFiles: { 'tokenizer.json': '{}' } });
    const before = snapshot(dir);
    const w = weights();
    const dead = pt.ones([2]);
    dead.dispose();
    w.set('z.dead', dead);
    const e = expectCheckpointError(
      () => saveHfFolder(dir, { config: { other: true }, weights: w }),
      dir,
      'not saved, the previous folder is unchanged',
      "tensor 'z.dead'",
      'disposed',
    );
    assert.ok(e.cause !== undefined);
    assert.deepEqual(snapshot(dir), before);
    assert.deepEqual(leftovers(root), []);
    // Bad options are refused before anything is touched.
    expectCheckpointError(
      () => saveHfFolder(dir, { config: CONFIG, weights: weights(), tokenizerFiles: { 'a/b': 'x' } }),
      dir,
      'plain file name',
    );
    expectCheckpointError(
      () => saveHfFolder(dir, { config: CONFIG, weights: weights(), tokenizerFiles: { 'config.json': 'x' } }),
      dir,
      'would overwrite',
    );
    expectCheckpointError(
      () => saveHfFolder(dir, { config: [] as unknown as Record<string, unknown>, weights: weights() }),
      dir,
      'config must be an object',
    );
    assert.deepEqual(snapshot(dir), before);
    assert.deepEqual(leftovers(root), []);
  });

  test('the first save into a new path creates parents; a file in the way is refused', () => {
    const dir = join(fresh(), 'nested', 'ckpt');
    saveHfFolder(dir, { config: CONFIG, weights: weights() });
    assert.deepEqual(loadHfFolder(dir).config, CONFIG);
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    expectCheckpointError(() => saveHfFolder(file, { config: CONFIG, weights: weights() }), file, 'exists and is not a folder');
    expectCheckpointError(() => loadHfFolder(file), file, 'is not a folder');
  });
});

describe('after a crash', () => {
  test('temp folders of dead processes are removed by the next save; live ones are left alone', () => {
    const dir = fresh();
    saveHfFolder(dir, { config: CONFIG, weights: weights() });
    const dead = deadPid();
    const stale = `${dir}.tmp-${dead}-0badf00d`;
    const live = `${dir}.tmp-${process.ppid}-1234abcd`; // our parent is alive
    mkdirSync(stale);
    writeFileSync(join(stale, 'config.json'), '{');
    mkdirSync(live);
    saveHfFolder(dir, { config: { ...CONFIG, hidden_size: 4 }, weights: weights() });
    assert.equal(existsSync(stale), false);
    assert.equal(existsSync(live), true);
    assert.equal((loadHfFolder(dir).config as { hidden_size: number }).hidden_size, 4);
  });

  test('killed between the two renames: load names the orphaned old folder, the next save restores and replaces it', () => {
    const dir = fresh();
    saveHfFolder(dir, { config: CONFIG, weights: weights() });
    const old = `${dir}.old-${deadPid()}`;
    // What a crash after "rename dir → dir.old" and before "rename tmp → dir" leaves behind.
    renameSync(dir, old);
    expectCheckpointError(() => loadHfFolder(dir), dir, 'no such folder', `interrupted save left the previous folder at ${old}`);
    saveHfFolder(dir, { config: { ...CONFIG, hidden_size: 2 }, weights: weights() });
    assert.equal(existsSync(old), false);
    assert.equal((loadHfFolder(dir).config as { hidden_size: number }).hidden_size, 2);
    assert.deepEqual(
      leftovers(root).filter((f) => f.startsWith(dir.split('/').pop()!)),
      [],
    );
  });
});

describe('missing and broken files', () => {
  test('missing folder, missing config.json, config.json that is not an object', () => {
    const dir = fresh();
    expectCheckpointError(() => loadHfFolder(dir), dir, 'no such folder');
    mkdirSync(dir);
    expectCheckpointError(() => loadHfFolder(dir), join(dir, 'config.json'), 'missing config.json');
    writeFileSync(join(dir, 'config.json'), '[1]');
    expectCheckpointError(() => loadHfFolder(dir), join(dir, 'config.json'), 'must hold a JSON object');
    writeFileSync(join(dir, 'config.json'), '{}');
    expectCheckpointError(() => loadHfFolder(dir), dir, 'no weights');
  });

  test('readJson: missing file, invalid JSON with line and column, a BOM is fine', () => {
    const p = join(root, 'x.json');
    assert.throws(
      () => readJson(p, 'x'),
      (e) => e instanceof FileError && !(e instanceof CheckpointError) && e.file === p,
    );
    expectCheckpointError(() => readJson(p, 'tokenizer config', CheckpointError), p, 'missing tokenizer config');
    writeFileSync(p, '{\n  "a": 1,\n  "b": }\n');
    expectCheckpointError(() => readJson(p, 'tokenizer config', CheckpointError), p, 'invalid JSON in tokenizer config', 'line 3 column 8');
    writeFileSync(p, '{"a": [1, 2,]}');
    expectCheckpointError(() => readJson(p, 'x', CheckpointError), p, 'line 1 column 13');
    writeFileSync(p, '{"a": 1} trailing');
    expectCheckpointError(() => readJson(p, 'x', CheckpointError), p, 'line 1 column 10');
    writeFileSync(p, '{"s": "tab\there"}');
    expectCheckpointError(() => readJson(p, 'x', CheckpointError), p, 'line 1 column 11');
    writeFileSync(p, '\ufeff{"a": "\\u00e9", "b": [true, null, -1.5e3]}');
    assert.deepEqual(readJson(p, 'x'), { a: 'é', b: [true, null, -1500] });
    const gen = fresh();
    saveHfFolder(gen, { config: CONFIG, weights: weights() });
    writeFileSync(join(gen, 'generation_config.json'), '{"temperature": 0.7,}');
    expectCheckpointError(
      () => loadHfFolder(gen),
      join(gen, 'generation_config.json'),
      'invalid JSON in generation_config.json',
      'line 1 column 21',
    );
  });
});
