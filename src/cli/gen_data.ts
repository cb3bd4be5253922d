// `posttrain gen-data --config=FILE.yaml [--key=value ...]`: expert data generation with rejection
// sampling (src/datagen/gen_data.ts; fields in src/datagen/gen_config.ts). Rerunning the same
// command after a kill continues where it stopped.
import { readConfigFile, resolveConfig } from '../trainers/config.js';
import { GEN_DATA_SCHEMA, type GenDataConfig } from '../datagen/gen_config.js';
import { generateData } from '../datagen/gen_data.js';
import { Progress } from '../trainers/run.js';
import { parseTrainArgs } from './train.js';

export async function genDataCommand(args: string[]): Promise<void> {
  const { configFile, overrides } = parseTrainArgs(args);
  const cfg = resolveConfig<GenDataConfig>(GEN_DATA_SCHEMA, configFile ? readConfigFile(configFile) : {}, configFile, overrides);
  let progress: Progress | null = null;
  const summary = await generateData(cfg, {
    onProblem: (done, total) => { progress ??= new Progress('gen-data', total, done - 1); progress.update(done, {}); },
  });
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}
