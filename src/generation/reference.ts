// The slow reference for generate(): no KV cache — every step runs the whole sequence (prompt and
// tokens so far, left-padded) through the model again — with the same sampler, generator use and
// batch-row bookkeeping, so the fast engine must produce the same tokens, token for token.
import * as pt from '../tensor/index.js';
import type { CausalLM } from '../models/decoder.js';
import { drawFor, inEvalMode, leftPad, prepare, presence, recordStep, type Completion, type GenerateOptions } from './engine.js';
import { selectTokens } from './sampler.js';

export function generateReference(model: CausalLM, prompts: readonly (readonly number[])[], o: GenerateOptions): Completion[] {
  const p = prepare(model, prompts, o);
  inEvalMode(model, () => {
    let active = prompts.map((_, i) => i);
    for (let step = 0; step < o.maxNewTokens && active.length > 0; step++) {
      const seqs = active.map((i) => [...prompts[i]!, ...p.out[i]!.tokens]);
      const { tok, lp } = pt.noGrad(() =>
        pt.scope(() => {
          const { ids, mask } = leftPad(seqs, p.pad);
          const logits = model.forward(ids, { attentionMask: mask }).select(1, -1); // (B, V)
          const seen = p.s.repetitionPenalty !== 1 ? presence(seqs, model.config.vocabSize) : null;
          const { tokens, logprobs } = selectTokens(logits, seen, p.s, drawFor(p, active));
          return { tok: tokens.toFlatArray() as number[], lp: logprobs.toFlatArray() as number[] };
        }),
      );
      active = recordStep(active, tok, lp, p, o).map((row) => active[row]!);
    }
  });
  return p.out;
}
