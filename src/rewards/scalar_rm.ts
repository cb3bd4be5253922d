// A scalar reward model (src/models/reward_model.ts) as a reward function: the rendered prompt plus
// the completion and the end-of-turn token, scored at the last token — the RM half of model-based
// rewards, for routedReward's ensembles or directly in GRPO. The raw score is a logit on no fixed
// scale; 'sigmoid' maps it into (0, 1), the range of the rule verifiers it is mixed with (a
// Bradley-Terry RM's σ(r_a − r_b) is a preference probability, so σ(r) is the natural squashing).
import type { Tokenizer } from '../tokenizer/index.js';
import type { RewardModel } from '../models/reward_model.js';
import type { RewardFn } from './compose.js';

export function scalarRewardFn(
  rm: RewardModel,
  tokenizer: Tokenizer,
  o: { maxLength?: number; transform?: 'none' | 'sigmoid'; name?: string } = {},
): RewardFn {
  return (x) => {
    const ids = [...tokenizer.encode(x.prompt + x.completion), ...tokenizer.eosTokenIds.slice(0, 1)];
    if (o.maxLength !== undefined && ids.length > o.maxLength) return null; // cannot judge what it cannot read
    const raw = rm.rewardOf(ids);
    const value = o.transform === 'sigmoid' ? 1 / (1 + Math.exp(-raw)) : raw;
    x.note?.(o.name ?? 'reward_model', { raw, value });
    return value;
  };
}
