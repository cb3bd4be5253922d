// A scalar reward model (src/models/reward_model.ts) as a reward function: the rendered prompt plus
// the completion and the end-of-turn token, scored at the last token — the RM half of model-based
// rewards, for routedReward's ensembles or directly in GRPO.
import * as pt from '../tensor/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import type { RewardModel } from '../models/reward_model.js';
import type { RewardFn } from './compose.js';

export function scalarRewardFn(rm: RewardModel, tokenizer: Tokenizer, o: { maxLength?: number } = {}): RewardFn {
  return (x) => {
    const ids = [...tokenizer.encode(x.prompt + x.completion), ...tokenizer.eosTokenIds.slice(0, 1)];
    if (o.maxLength !== undefined && ids.length > o.maxLength) return null;          // cannot judge what it cannot read
    return pt.noGrad(() => pt.scope(() => rm.rewards(pt.tensor([ids], { dtype: 'int64' }), pt.ones([1, ids.length], { dtype: 'bool' })).item() as number));
  };
}
