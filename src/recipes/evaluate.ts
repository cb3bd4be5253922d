// Evaluation on held-out items: each question is rendered with the chat template, answered greedily
// with the KV-cache engine, and checked by the task's verifier. Reports accuracy and the mean
// response length in tokens (V3 Table 9 reports both), overall and per kind.
import { generate } from '../generation/index.js';
import { applyChatTemplate, type Tokenizer } from '../tokenizer/index.js';
import type { CausalLM } from '../models/index.js';

export interface EvalItem {
  question: string;
  kind: string;
  check: (completion: string) => boolean;
}

export interface EvalReport {
  n: number;
  accuracy: number;
  meanLength: number;
  byKind: Record<string, { n: number; accuracy: number; meanLength: number }>;
  samples: { question: string; completion: string; correct: boolean }[];
}

export function evaluate(model: CausalLM, tokenizer: Tokenizer, items: readonly EvalItem[], o: { maxNewTokens: number; batchSize: number; system?: string }): EvalReport {
  const results: { kind: string; correct: boolean; length: number; question: string; completion: string }[] = [];
  for (let i = 0; i < items.length; i += o.batchSize) {
    const chunk = items.slice(i, i + o.batchSize);
    const prompts = chunk.map((it) => tokenizer.encode(applyChatTemplate(tokenizer,
      [...(o.system ? [{ role: 'system' as const, content: o.system }] : []), { role: 'user' as const, content: it.question }], { addGenerationPrompt: true })));
    const out = generate(model, prompts, { maxNewTokens: o.maxNewTokens, temperature: 0, eosTokenIds: tokenizer.eosTokenIds, padTokenId: tokenizer.padTokenId ?? 0 });
    chunk.forEach((it, j) => {
      const c = out[j]!;
      const completion = tokenizer.decode(c.tokens, { skipSpecialTokens: true });
      const length = c.tokens.filter((t) => !tokenizer.eosTokenIds.includes(t)).length;
      results.push({ kind: it.kind, correct: it.check(completion), length, question: it.question, completion });
    });
  }
  const summarise = (rs: typeof results) => ({
    n: rs.length,
    accuracy: rs.length ? rs.filter((r) => r.correct).length / rs.length : 0,
    meanLength: rs.length ? rs.reduce((a, r) => a + r.length, 0) / rs.length : 0,
  });
  const byKind: EvalReport['byKind'] = {};
  for (const kind of new Set(results.map((r) => r.kind))) byKind[kind] = summarise(results.filter((r) => r.kind === kind));
  return { ...summarise(results), byKind, samples: results.slice(0, 20).map(({ question, completion, correct }) => ({ question, completion, correct })) };
}
