// `posttrain export --model=DIR --output=FILE.gguf [--type=f32|f16|bf16|q8_0] [--pre-tokenizer=NAME]`:
// a Llama / Qwen2 / Qwen3 model folder as one GGUF file for llama.cpp (and everything built on it:
// ollama, LM Studio, node-llama-cpp), tokenizer and chat template included (checkpoint/gguf.ts).
import { basename } from 'node:path';
import { command, UsageError } from './args.js';
import { loadModel, type CausalLM } from '../models/index.js';
import { readTokenizerFiles, writeGguf, type GgufSource, type GgufType } from '../checkpoint/gguf.js';

/** What writeGguf needs from a loaded model and the folder holding its tokenizer files. */
export function ggufSource(model: CausalLM, tokenizerDir: string): GgufSource {
  const c = model.config;
  if (c.rope.scaling)
    throw new UsageError(`export: the model uses rope_scaling '${c.rope.scaling.type}', which the GGUF export does not write yet`);
  if (c.outBias || c.mlpBias)
    throw new UsageError(`export: the model has output or MLP biases, which llama.cpp's ${c.family} graph has no place for`);
  return {
    family: c.family as GgufSource['family'],
    config: {
      vocabSize: c.vocabSize,
      hidden: c.hidden,
      intermediate: c.intermediate,
      layers: c.layers,
      heads: c.heads,
      kvHeads: c.kvHeads,
      headDim: c.headDim,
      rmsEps: c.rmsEps,
      ropeTheta: c.rope.theta,
      contextLength: c.rope.maxPositionEmbeddings,
      tieEmbeddings: c.tieEmbeddings,
    },
    weights: model.stateDict(),
    ...readTokenizerFiles(tokenizerDir),
  };
}

export const exportCommand = command({
  summary:
    'a model folder as one GGUF file for llama.cpp (Llama, Qwen2, Qwen3; f32, f16, bf16 or q8_0), with its tokenizer and chat template',
  schema: {
    model: { type: 'string', default: '', required: true, doc: 'the model folder (config.json, safetensors, tokenizer.json)' },
    output: { type: 'string', default: '', required: true, doc: 'the .gguf file to write' },
    format: { type: 'string', default: 'gguf', values: ['gguf'], doc: 'the file format (GGUF v3)' },
    type: {
      type: 'string',
      default: 'f32',
      values: ['f32', 'f16', 'bf16', 'q8_0'],
      doc: 'the weight matrices\u2019 type (norms and biases stay f32; q8_0: 8-bit blocks of 32 with a half-precision scale)',
    },
    pre_tokenizer: {
      type: 'string',
      default: '',
      doc: "llama.cpp's pre-tokenizer (llama-bpe, qwen2, …) when the tokenizer's split regex is none llama.cpp knows: text is then split differently there",
    },
  },
  run: async (cfg) => {
    const { model } = loadModel(cfg.model);
    try {
      const r = writeGguf(cfg.output, ggufSource(model, cfg.model), {
        type: cfg.type as GgufType,
        preTokenizer: cfg.pre_tokenizer || undefined,
        name: basename(cfg.model.replace(/\/+$/, '')),
      });
      process.stdout.write(`${JSON.stringify({ output: cfg.output, tensors: r.tensors, bytes: r.bytes, type: cfg.type })}\n`);
      return 0;
    } finally {
      model.dispose();
    }
  },
});
