// The reward model's objective (InstructGPT / Llama 2 / TRL RewardTrainer): Bradley-Terry
// −log σ(r_chosen − r_rejected − margin), averaged over pairs, plus optional reward centering
// λ · mean((r_chosen + r_rejected)²) that keeps the rewards' scale anchored at zero. Pure tensor
// functions over the two reward vectors.
import * as pt from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';

export interface PairStats {
  accuracy: number;
  margin: number;
  chosen: number;
  rejected: number;
}

/**
 * chosen, rejected: (B) rewards; margin: (B) or null; centering: λ (0: off). Returns the mean loss
 * and, as plain numbers, accuracy (share with chosen > rejected), mean margin r_c − r_r, and the
 * mean chosen / rejected rewards.
 */
export function bradleyTerryLoss(
  chosen: Tensor,
  rejected: Tensor,
  margin: Tensor | null,
  centering = 0,
): { loss: Tensor; stats: PairStats } {
  return pt.scope(() => {
    let diff = chosen.sub(rejected); // (B)
    const stats: PairStats = {
      accuracy: diff.detach().gt(0).to(chosen.dtype).mean().item() as number,
      margin: diff.detach().mean().item() as number,
      chosen: chosen.detach().mean().item() as number,
      rejected: rejected.detach().mean().item() as number,
    };
    if (margin) diff = diff.sub(margin.to(chosen.dtype));
    let loss = diff.logSigmoid().neg().mean();
    if (centering > 0) loss = loss.add(chosen.add(rejected).square().mean().mul(centering));
    return { loss, stats };
  });
}
