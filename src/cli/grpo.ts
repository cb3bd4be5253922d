// `posttrain grpo --config run.yaml [--key=value ...]`: GRPO with a config file and overrides,
// validated once (src/trainers/grpo_config.ts lists the fields); `posttrain rm` the same way for
// reward models (src/trainers/rm_config.ts).
import { readConfigFile, resolveConfig } from '../trainers/config.js';
import { GRPO_SCHEMA, type GrpoConfig } from '../trainers/grpo_config.js';
import { trainGrpo } from '../trainers/grpo.js';
import { parseTrainArgs } from './train.js';
import { RM_SCHEMA, type RmConfig } from '../trainers/rm_config.js';
import { trainRewardModel } from '../trainers/rm.js';

export async function grpoCommand(args: string[]): Promise<void> {
  const { configFile, overrides } = parseTrainArgs(args);
  const cfg = resolveConfig<GrpoConfig>(GRPO_SCHEMA, configFile ? readConfigFile(configFile) : {}, configFile, overrides);
  const r = await trainGrpo(cfg, { label: 'grpo' });
  process.stdout.write(`${JSON.stringify({ final: r.finalDir, steps: r.steps, reward_first: r.rewards[0], reward_last: r.rewards.at(-1) })}\n`);
}

export async function rmCommand(args: string[]): Promise<void> {
  const { configFile, overrides } = parseTrainArgs(args);
  const cfg = resolveConfig<RmConfig>(RM_SCHEMA, configFile ? readConfigFile(configFile) : {}, configFile, overrides);
  const r = await trainRewardModel(cfg, { label: 'rm' });
  process.stdout.write(`${JSON.stringify({ final: r.finalDir, steps: r.steps, train_pairs: r.trainPairs, eval: r.eval })}\n`);
}
