// A tiny SFT setting for trainer tests: a ChatML BPE tokenizer trained here, a JSONL file of chat
// conversations, and a small Llama config, in a temp folder.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer, trainByteLevelBpe, makeTokenizerConfig, CHATML_SPECIAL_TOKENS } from '../../src/tokenizer/index.js';
import type { SftConfig } from '../../src/trainers/sft_config.js';
import { resolveConfig } from '../../src/common/schema.js';
import { createModel, saveModel } from '../../src/models/index.js';
import { TINY } from './models.js';
import { schemaWithDefaults } from '../../src/trainers/sft_config.js';

export interface SftSetup {
  dir: string;
  tokDir: string;
  data: string;
  vocab: number;
}

export function makeSftSetup(conversations = 48): SftSetup {
  const dir = mkdtempSync(join(tmpdir(), 'posttrain-sft-'));
  const rows = Array.from({ length: conversations }, (_, i) => ({
    messages: [
      { role: 'user', content: `what is ${i % 9} plus ${(i * 7) % 11}?` },
      { role: 'assistant', content: `${i % 9} plus ${(i * 7) % 11} is ${(i % 9) + ((i * 7) % 11)}. \\boxed{${(i % 9) + ((i * 7) % 11)}}` },
    ],
  }));
  const data = join(dir, 'sft.jsonl');
  writeFileSync(data, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const corpus = rows.flatMap((r) => r.messages.map((m) => m.content));
  const tok = Tokenizer.fromFiles(
    trainByteLevelBpe(corpus, { vocabSize: 300, specialTokens: CHATML_SPECIAL_TOKENS }),
    makeTokenizerConfig({ eos: '<|im_end|>', pad: '<|endoftext|>' }),
  );
  const tokDir = join(dir, 'tokenizer');
  mkdirSync(tokDir);
  tok.save(tokDir);
  return { dir, tokDir, data, vocab: tok.vocabSize };
}

export function sftConfig(s: SftSetup, out: string, over: Partial<SftConfig> = {}): SftConfig {
  return resolveConfig(
    schemaWithDefaults({}),
    {
      model_config: {
        model_type: 'llama',
        vocab_size: s.vocab,
        hidden_size: 32,
        intermediate_size: 48,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        max_position_embeddings: 256,
        tie_word_embeddings: true,
      },
      tokenizer: s.tokDir,
      dataset_name: [s.data],
      output_dir: out,
      max_length: 64,
      per_device_train_batch_size: 4,
      learning_rate: 3e-3,
      min_lr: 3e-4,
      num_train_epochs: 1,
      seed: 1,
      ...over,
    },
    'test',
    {},
  );
}

/** The tiny Llama of test/helpers/models.ts, sized to the setup's vocabulary, saved as an HF folder with its tokenizer (the starting model of trainer and CLI tests). */
export function saveTinyModel(s: SftSetup, dir: string, seed: number, extra: Record<string, unknown> = {}): string {
  const model = createModel({ ...TINY.llama, vocab_size: s.vocab, ...extra }, { seed });
  saveModel(model, dir, {
    tokenizerFiles: {
      'tokenizer.json': readFileSync(join(s.tokDir, 'tokenizer.json')),
      'tokenizer_config.json': readFileSync(join(s.tokDir, 'tokenizer_config.json')),
    },
  });
  model.dispose();
  return dir;
}
