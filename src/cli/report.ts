// `posttrain report RUN_DIR… [--output=FILE] [--title=TEXT]`: report.html for any run folders a
// trainer wrote (pretrain, sft, rm, distill, grpo) — each run's training curves, charts chosen by
// its kind (read from its config.json), and with several runs a "Runs compared" section overlaying
// each metric they share, one line per run; plus the text summary on stderr.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { command, UsageError } from './args.js';
import { renderReport, terminalSummary, type ReportInput, type ReportStage } from '../report/report.js';
import { writeFileAtomically } from '../common/files.js';

/** The trainer that wrote a run folder, from the fields of its config.json. */
function kindOf(dir: string): string {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) return 'sft';
  const c = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  if ('num_generations' in c) return 'grpo';
  if ('teacher_model_name_or_path' in c) return 'distill';
  if ('center_rewards_coefficient' in c) return 'rm';
  return c['completion_only_loss'] === false ? 'pretrain' : 'sft';
}

export const reportCommand = command({
  summary: 'report.html for run folders: training curves per run, and each metric overlaid across several runs',
  positional: 'runs',
  schema: {
    runs: { type: 'strings', default: [], required: true, doc: 'run folders (each with the metrics.jsonl its trainer wrote)' },
    output: { type: 'string', default: '', doc: 'the HTML file (default: RUN/report.html for one run, ./report.html for several)' },
    title: { type: 'string', default: '', doc: 'the page title (default: the runs\u2019 names)' },
  },
  run: async (cfg) => {
    const stages: ReportStage[] = cfg.runs.map((d) => {
      const dir = resolve(d);
      if (!existsSync(join(dir, 'metrics.jsonl')))
        throw new UsageError(`report: ${d} has no metrics.jsonl (a run folder a trainer wrote: pretrain, sft, rm, distill, grpo)`);
      return { name: basename(dir), kind: kindOf(dir), dir };
    });
    const input: ReportInput = {
      title: cfg.title || `posttrain runs: ${stages.map((s) => s.name).join(', ')}`,
      stages,
      evaluations: [],
      compare: stages.length > 1,
    };
    const out = resolve(cfg.output || (stages.length === 1 ? join(stages[0]!.dir!, 'report.html') : 'report.html'));
    writeFileAtomically(out, renderReport(input));
    process.stderr.write(terminalSummary(input));
    process.stdout.write(`${JSON.stringify({ output: out })}\n`);
    return 0;
  },
});
