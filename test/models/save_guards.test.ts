// saveModel writes complete folders: a model with unmerged LoRA adapters is refused (or merged on
// request, the caller's model untouched), the tokenizer files and generation config a model was
// loaded or created with go with it, and config.json names the tokenizer's bos/eos/pad ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pt from '../../src/tensor/index.js';
import { createModel, loadModel, saveModel, type CausalLM } from '../../src/models/index.js';
import { applyLora, loraLayers } from '../../src/models/lora.js';
import { Tokenizer, trainByteLevelBpe, makeTokenizerConfig } from '../../src/tokenizer/index.js';
import { saveCheckpoint } from '../../src/trainers/checkpoint.js';
import { AdamW } from '../../src/optim/index.js';
import { TINY } from '../helpers/models.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'posttrain-save-guards-'));
const ids = pt.tensor([[3, 9, 4, 17, 5, 30, 2, 11]]).keep();
const lora = { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj', 'down_proj'] };
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

/** A model with LoRA adapters whose B is non-zero, so the adapted output differs from the base. */
function adaptedModel(): CausalLM {
  const m = createModel(TINY.llama, { seed: 4 });
  applyLora(m, lora, new pt.Generator(2));
  const g = new pt.Generator(7);
  const bs = new Map(
    [...m.stateDict()].filter(([k]) => k.includes('.lora_B.')).map(([k, t]) => [k, pt.randn(t.shape, { generator: g }).mul(0.5).keep()]),
  );
  m.loadStateDict(bs, { strict: false });
  for (const t of bs.values()) t.dispose();
  return m;
}

function tokenizer(): Tokenizer {
  const corpus = ['the cat sat on the mat', 'two plus two is four', 'hello there, general'];
  const special = ['<s>', '<unk>', '<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  return Tokenizer.fromFiles(
    trainByteLevelBpe(corpus, { vocabSize: 300, specialTokens: special }),
    makeTokenizerConfig({ bos: '<|im_start|>', eos: '<|im_end|>', pad: '<|endoftext|>' }),
  );
}

test('saveModel refuses a model with unmerged LoRA adapters, naming mergeLora and saveAdapter', () => {
  const dir = tmp();
  const m = adaptedModel();
  assert.throws(
    () => saveModel(m, join(dir, 'out')),
    (e: Error) =>
      /unmerged LoRA adapters on 6 layers/.test(e.message) && /mergeLora\(model\)/.test(e.message) && /saveAdapter\(/.test(e.message),
  );
  assert.ok(!existsSync(join(dir, 'out')), 'nothing written');
  m.dispose();
  rmSync(dir, { recursive: true });
});

test("saveModel { lora: 'merge' } saves merged weights (reload = the LoRA model's logits) and leaves the model adapted", () => {
  const dir = tmp();
  const m = adaptedModel();
  const want = pt.noGrad(() => m.forward(ids)).keep();
  const base = pt.noGrad(() => createModel(TINY.llama, { seed: 4 }).forward(ids)).keep();
  assert.ok(!want.allclose(base, 1e-3, 1e-3), 'the adapters change the output');
  saveModel(m, join(dir, 'out'), { lora: 'merge' });
  assert.equal(loraLayers(m).length, 6, "the caller's model keeps its adapters");
  assert.ok(pt.noGrad(() => m.forward(ids)).allclose(want, 0, 0), 'and computes what it did');
  const { model: back } = loadModel(join(dir, 'out'));
  const got = pt.noGrad(() => back.forward(ids));
  const diff = got.sub(want).abs().max().item() as number;
  assert.ok(diff <= 1e-5, `reloaded logits differ by ${diff}`);
  m.dispose();
  back.dispose();
  rmSync(dir, { recursive: true });
});

test('a training checkpoint of a LoRA model still saves the base weights with the adapter beside them', () => {
  const dir = tmp();
  const m = adaptedModel();
  const opt = new AdamW(m.trainableParameters(), { lr: 1e-3 });
  const state = { step: 1, epoch: 0, sampler: { seed: 0, epoch: 0, position: 0 }, tokensSeen: 0, extra: {} };
  const ckpt = saveCheckpoint(dir, { model: m, optimizer: opt, state, lora, keepLast: 2 });
  assert.ok(existsSync(join(ckpt, 'model.safetensors')) && existsSync(join(ckpt, 'adapter', 'adapter_model.safetensors')));
  opt.dispose();
  m.dispose();
  rmSync(dir, { recursive: true });
});

test('saveModel writes back the tokenizer files and generation config of the folder a model was loaded from', () => {
  const dir = tmp();
  const tok = tokenizer();
  const src = join(dir, 'src');
  const m = createModel({ ...TINY.llama, vocab_size: tok.vocabSize }, { seed: 1 });
  const files = { 'tokenizer.json': JSON.stringify(tok.tokenizerJson), 'tokenizer_config.json': JSON.stringify(tok.tokenizerConfig) };
  saveModel(m, src, {
    tokenizerFiles: { ...files, 'special_tokens_map.json': '{"eos_token": "<|im_end|>"}' },
    generationConfig: { eos_token_id: 4, temperature: 0.6 },
  });
  const { model } = loadModel(src);
  saveModel(model, join(dir, 'copy'));
  for (const name of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'])
    assert.ok(readFileSync(join(dir, 'copy', name)).equals(readFileSync(join(src, name))), `${name} copied`);
  assert.deepEqual(json(join(dir, 'copy', 'generation_config.json')), { eos_token_id: 4, temperature: 0.6 });
  assert.deepEqual(Tokenizer.fromDir(join(dir, 'copy')).eosTokenIds, [tok.eosTokenIds[0], 4]);
  // explicit options win
  saveModel(model, join(dir, 'explicit'), { tokenizerFiles: { 'tokenizer.json': files['tokenizer.json'] }, generationConfig: null });
  assert.ok(!existsSync(join(dir, 'explicit', 'tokenizer_config.json')) && !existsSync(join(dir, 'explicit', 'generation_config.json')));
  m.dispose();
  model.dispose();
  rmSync(dir, { recursive: true });
});

test('a model created with a tokenizer saves its bos/eos/pad ids in config.json, its files and a generation config', () => {
  const dir = tmp();
  const tok = tokenizer();
  const { vocab_size: _, ...noVocab } = TINY.llama;
  const m = createModel(noVocab, { seed: 1, tokenizer: tok });
  assert.equal(m.config.vocabSize, tok.vocabSize, 'vocab_size defaults to the tokenizer size');
  saveModel(m, join(dir, 'out'));
  const config = json(join(dir, 'out', 'config.json'));
  const want = { bos_token_id: tok.bosTokenId, eos_token_id: tok.eosTokenIds[0], pad_token_id: tok.padTokenId };
  assert.ok(
    Object.values(want).every((id) => typeof id === 'number' && id > 2),
    'ids other than the Llama fallbacks 1 and 2',
  );
  assert.deepEqual([config.bos_token_id, config.eos_token_id, config.pad_token_id], Object.values(want));
  assert.deepEqual(json(join(dir, 'out', 'generation_config.json')), want);
  assert.deepEqual(json(join(dir, 'out', 'special_tokens_map.json')), {
    bos_token: '<|im_start|>',
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
  });
  const back = Tokenizer.fromDir(join(dir, 'out'));
  assert.deepEqual(back.encode('two plus two'), tok.encode('two plus two'));
  assert.throws(() => createModel({ ...TINY.llama, vocab_size: 8 }, { tokenizer: tok }), /vocab_size 8 is smaller than the tokenizer's/);
  m.dispose();
  rmSync(dir, { recursive: true });
});

test('a model created without a tokenizer takes bos/eos ids for config.json from the generation config it is saved with', () => {
  const dir = tmp();
  const m = createModel(TINY.llama, { seed: 1 });
  saveModel(m, join(dir, 'out'), { generationConfig: { eos_token_id: [7, 8], bos_token_id: 6 } });
  const config = json(join(dir, 'out', 'config.json'));
  assert.deepEqual([config.bos_token_id, config.eos_token_id, config.pad_token_id], [6, [7, 8], undefined]);
  m.dispose();
  rmSync(dir, { recursive: true });
});
