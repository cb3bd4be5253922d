// `posttrain demo [--quick] [--out=DIR] [--seed=N]`: the recipe on the built-in task, ending with a
// summary table (src/recipes/demo.ts). Re-running with the same --out continues a stopped demo.
import { join } from 'node:path';
import { defineSchema } from '../common/schema.js';
import { runDemo, summaryText } from '../recipes/demo.js';
import { command } from './args.js';
import { refuseSeveralRanks } from './kind.js';

export const DEMO_SCHEMA = defineSchema({
  quick: { type: 'bool', default: false, doc: 'a minute-long smoke run of every stage (its numbers mean nothing)' },
  seed: { type: 'int', default: 0, min: 0, doc: 'the seed of every stage' },
  out: { type: 'string', default: null, nullable: true, doc: 'the run folder (default runs/demo, or runs/demo-quick)' },
});

export const demoCommand = command({
  summary:
    "DeepSeek-V3's recipe on the built-in task: base → long-CoT expert (SFT + RL) → reasoning data (rejection sampling) → annotation gate → Table 9's student SFT runs (short CoT vs the teacher's samples) → judge, RM → GRPO → evaluation of every model, report.html",
  schema: DEMO_SCHEMA,
  run: async (c) => {
    refuseSeveralRanks('posttrain demo');
    const out = c.out ?? join('runs', c.quick ? 'demo-quick' : 'demo');
    const t = performance.now();
    const summary = await runDemo({ out, seed: c.seed, quick: c.quick, log: (l) => process.stderr.write(`${l}\n`) });
    const minutes = (performance.now() - t) / 60000;
    process.stdout.write(
      `\nposttrain demo — held-out evaluation (${(summary.params / 1e6).toFixed(2)}M-parameter models; greedy decoding)\n\n`,
    );
    process.stdout.write(summaryText(summary) + '\n\n');
    process.stdout.write(`total ${minutes.toFixed(1)} min · report: ${summary.report}\n`);
    return 0;
  },
});
