// `posttrain sft|pretrain [--config run.yaml] [--key=value ...]`: the SFT trainer with a config
// file and overrides (`--seq_len=256` or `--seq-len=256`; lists comma-separated), validated once.
import { readConfigFile, resolveConfig } from '../trainers/config.js';
import { PRETRAIN_DEFAULTS, schemaWithDefaults, type SftConfig } from '../trainers/sft_config.js';
import { trainSft } from '../trainers/sft.js';

export function parseTrainArgs(args: readonly string[]): { configFile: string | null; overrides: Record<string, string> } {
  let configFile: string | null = null;
  const overrides: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--([\w-]+)(?:=(.*))?$/s.exec(args[i]!);
    if (!m) throw new Error(`unexpected argument '${args[i]}' (flags look like --key=value)`);
    let value = m[2];
    if (value === undefined && i + 1 < args.length && !args[i + 1]!.startsWith('--')) value = args[++i];
    const key = m[1]!.replace(/-/g, '_');
    if (key === 'config') configFile = value ?? null;
    else overrides[key] = value ?? 'true';
  }
  return { configFile, overrides };
}

export function trainConfig(kind: 'sft' | 'pretrain', args: readonly string[]): SftConfig {
  const { configFile, overrides } = parseTrainArgs(args);
  const file = configFile ? readConfigFile(configFile) : {};
  return resolveConfig<SftConfig>(schemaWithDefaults(kind === 'pretrain' ? PRETRAIN_DEFAULTS : {}), file, configFile, overrides);
}

export async function trainCommand(kind: 'sft' | 'pretrain', args: string[]): Promise<void> {
  const cfg = trainConfig(kind, args);
  const r = await trainSft(cfg, { label: kind });
  process.stdout.write(`${JSON.stringify({ final: r.finalDir, steps: r.steps, loss: r.finalLoss, eval_loss: r.evalLoss, tokens_per_s: Math.round(r.tokensPerSecond) })}\n`);
}
