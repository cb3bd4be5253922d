// `posttrain demo [--quick] [--out=DIR] [--seed=N]`: the recipe on the built-in task, ending with a
// summary table (src/recipes/demo.ts). Re-running with the same --out continues a stopped demo.
import { join } from 'node:path';
import { Flags } from './flags.js';
import { runDemo, summaryText } from '../recipes/demo.js';

export async function demoCommand(args: string[]): Promise<void> {
  const f = new Flags(args);
  const quick = f.bool('quick', false);
  const seed = f.int('seed', 0);
  const out = f.str('out', join('runs', quick ? 'demo-quick' : 'demo'));
  f.rejectUnknown('demo');
  const t = performance.now();
  const summary = await runDemo({ out, seed, quick, log: (l) => process.stderr.write(`${l}\n`) });
  const minutes = (performance.now() - t) / 60000;
  process.stdout.write(
    `\nposttrain demo — held-out evaluation (${(summary.params / 1e6).toFixed(2)}M-parameter models; greedy decoding)\n\n`,
  );
  process.stdout.write(summaryText(summary) + '\n\n');
  process.stdout.write(`total ${minutes.toFixed(1)} min · report: ${summary.report}\n`);
}
