// `posttrain grpo --config run.yaml [--key=value ...]`: GRPO with a config file and overrides,
// validated once (src/trainers/grpo_config.ts lists the fields).
import { readConfigFile, resolveConfig } from '../trainers/config.js';
import { GRPO_SCHEMA, type GrpoConfig } from '../trainers/grpo_config.js';
import { trainGrpo } from '../trainers/grpo.js';
import { parseTrainArgs } from './train.js';

export async function grpoCommand(args: string[]): Promise<void> {
  const { configFile, overrides } = parseTrainArgs(args);
  const cfg = resolveConfig<GrpoConfig>(GRPO_SCHEMA, configFile ? readConfigFile(configFile) : {}, configFile, overrides);
  const r = await trainGrpo(cfg, { label: 'grpo' });
  process.stdout.write(`${JSON.stringify({ final: r.finalDir, steps: r.steps, reward_first: r.rewards[0], reward_last: r.rewards.at(-1) })}\n`);
}
