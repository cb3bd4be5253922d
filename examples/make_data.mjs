// Writes examples/data/*.jsonl and examples/tokenizer (the files are committed; run again after
// changing them: npm run build && node examples/make_data.mjs). Tiny on purpose: the examples run in seconds.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Tokenizer, trainByteLevelBpe, makeTokenizerConfig, CHATML_SPECIAL_TOKENS } from '../dist/src/tokenizer/index.js';
import { fileURLToPath } from 'node:url';
const root = fileURLToPath(new URL('.', import.meta.url)).replace(/\/$/, '');
const j = (rows) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const pairs = Array.from({ length: 40 }, (_, i) => [1 + (i % 9), 2 + ((i * 7) % 11)]);
const pretrain = pairs.map(([a, b]) => ({ text: `${a} plus ${b} is ${a + b}. ${b} plus ${a} is ${a + b}.` }));
const sft = pairs.map(([a, b]) => ({
  messages: [
    { role: 'user', content: `What is ${a} plus ${b}?` },
    { role: 'assistant', content: `${a} plus ${b} is ${a + b}. The answer is \\boxed{${a + b}}.` },
  ],
}));
const prompts = pairs.map(([a, b], i) => ({
  id: `p${i}`,
  question: `What is ${a} plus ${b}?`,
  answer: String(a + b),
  solution: `${a} plus ${b} is ${a + b}. The answer is \\boxed{${a + b}}.`,
}));
const prefs = pairs.map(([a, b]) => ({
  prompt: `What is ${a} plus ${b}?`,
  chosen: `${a} plus ${b} is ${a + b}. The answer is \\boxed{${a + b}}.`,
  rejected: `${a} plus ${b} is ${a + b + 1}. The answer is \\boxed{${a + b + 1}}.`,
}));
const generalist = ['Say hello.', 'Name a colour.', 'Count to three.', 'Say goodbye.'].map((instruction) => ({ instruction }));
mkdirSync(`${root}/data`, { recursive: true });
writeFileSync(`${root}/data/pretrain.jsonl`, j(pretrain));
writeFileSync(`${root}/data/sft.jsonl`, j(sft));
writeFileSync(`${root}/data/prompts.jsonl`, j(prompts));
writeFileSync(`${root}/data/preferences.jsonl`, j(prefs));
writeFileSync(`${root}/data/generalist.jsonl`, j(generalist));
const corpus = [
  ...pretrain.map((r) => r.text),
  ...sft.flatMap((r) => r.messages.map((m) => m.content)),
  ...prefs.map((r) => r.rejected),
  ...generalist.map((g) => g.instruction),
  'You are an expert problem solver. Think step by step inside <think> and </think>.',
];
const tok = Tokenizer.fromFiles(
  trainByteLevelBpe(corpus, { vocabSize: 320, specialTokens: CHATML_SPECIAL_TOKENS }),
  makeTokenizerConfig({ eos: '<|im_end|>', pad: '<|endoftext|>' }),
);
mkdirSync(`${root}/tokenizer`, { recursive: true });
tok.save(`${root}/tokenizer`);
console.log('vocab', tok.vocabSize);
