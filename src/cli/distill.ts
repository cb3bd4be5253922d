// `posttrain distill --config run.yaml [--key=value ...]`: token-level knowledge distillation from a
// teacher folder into a student folder (same tokenizer), with a config file and overrides validated
// once (src/trainers/distill_config.ts lists the fields). Prints one JSON line with the result.
import { readConfigFile, resolveConfig } from '../trainers/config.js';
import { DISTILL_SCHEMA, type DistillConfig } from '../trainers/distill_config.js';
import { trainDistill } from '../trainers/distill.js';
import { parseTrainArgs } from './train.js';

export function distillConfig(args: readonly string[]): DistillConfig {
  const { configFile, overrides } = parseTrainArgs(args);
  return resolveConfig<DistillConfig>(DISTILL_SCHEMA, configFile ? readConfigFile(configFile) : {}, configFile, overrides);
}

export async function distillCommand(args: string[]): Promise<void> {
  const r = await trainDistill(distillConfig(args), { label: 'distill' });
  process.stdout.write(`${JSON.stringify({ final: r.finalDir, steps: r.steps, kd_loss_first: r.kdLosses[0] ?? null, kd_loss_last: r.finalKdLoss,
    on_policy_steps: r.onPolicySteps, tokens_per_s: Math.round(r.tokensPerSecond) })}\n`);
}
