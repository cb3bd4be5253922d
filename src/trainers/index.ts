// The trainers' public surface: SFT / pretraining, reward models, GRPO and distillation as
// straight-line loops over a resolved config (each config's schema beside it), and the losses they
// are built from (GRPO's objective, the KD divergences, Bradley-Terry) for users who write their own.
export { trainSft, evalLoss, type SftResult, type SftHooks } from './sft.js';
export { SFT_SCHEMA, PRETRAIN_DEFAULTS, schemaWithDefaults, type SftConfig } from './sft_config.js';
export { trainRewardModel, evaluatePairs, type RmResult, type RmHooks } from './rm.js';
export { RM_SCHEMA, type RmConfig } from './rm_config.js';
export { trainGrpo, type GrpoResult } from './grpo/train.js';
export { GRPO_SCHEMA, type GrpoConfig } from './grpo/config.js';
export { trainDistill, type DistillResult, type DistillHooks } from './distill.js';
export { DISTILL_SCHEMA, type DistillConfig } from './distill_config.js';
export {
  grpoLoss,
  groupAdvantages,
  sequenceKl,
  type GrpoLossOptions,
  type GrpoLossOutput,
  type AdvantageOptions,
  type ImportanceSamplingLevel,
  type LossType,
  type KlEstimator,
} from './grpo/loss.js';
export { kdLoss, kdPerToken, KD_LOSSES, type KdLossKind, type KdOptions } from './kd_loss.js';
export { bradleyTerryLoss, type PairStats } from './rm_loss.js';
