// A run folder and what a trainer writes into it while it runs: the resolved config, metrics as
// JSON lines (one per step, and one per evaluation; with report_to: tensorboard also TensorBoard
// event files in runs/, common/tensorboard.ts), log lines, sample lines, and a terminal progress
// line with rate and ETA (redrawn in place on a TTY, a line every ~5% otherwise). A checkpoint
// records position() (where the logs end); on resume cutBackTo removes what came after it, which
// the resumed run records again, so every step appears once.
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TensorBoardWriter } from './tensorboard.js';
import { writeFileAtomically } from './files.js';

/** The byte lengths of metrics.jsonl and samples.jsonl at a checkpoint. */
export interface LogPosition {
  metrics_bytes: number;
  samples_bytes: number;
}

export class RunFolder {
  readonly metricsFile: string;
  readonly logFile: string;
  readonly samplesFile: string;
  /** write: false makes every method a no-op (data-parallel ranks other than 0: rank 0 writes the run). */
  readonly write: boolean;
  /** TensorBoard event files in <dir>/runs/ (report_to: tensorboard), or null. */
  readonly tensorboard: TensorBoardWriter | null;
  constructor(
    readonly dir: string,
    options: { write?: boolean; reportTo?: readonly string[] } = {},
  ) {
    this.write = options.write ?? true;
    if (this.write) mkdirSync(dir, { recursive: true });
    const tb = (options.reportTo ?? []).some((r) => r === 'tensorboard' || r === 'all');
    this.tensorboard = this.write && tb ? new TensorBoardWriter(join(dir, 'runs')) : null;
    this.metricsFile = join(dir, 'metrics.jsonl');
    this.logFile = join(dir, 'log.txt');
    this.samplesFile = join(dir, 'samples.jsonl');
  }

  writeConfig(resolved: Record<string, unknown>, described: string): void {
    if (!this.write) return;
    writeFileSync(join(this.dir, 'config.json'), JSON.stringify(resolved, null, 2) + '\n');
    writeFileSync(join(this.dir, 'config.txt'), described);
  }

  metrics(record: Record<string, unknown>): void {
    if (!this.write) return;
    if (this.tensorboard && typeof record['step'] === 'number') {
      // transformers' tags: train/<name>, eval/<name> for eval_<name>
      const tags = Object.entries(record)
        .filter(([k]) => k !== 'step' && k !== 'time')
        .map(([k, v]) => [k.startsWith('eval_') ? `eval/${k.slice(5)}` : `train/${k}`, v]);
      this.tensorboard.scalars(record['step'], Object.fromEntries(tags));
    }
    appendFileSync(this.metricsFile, JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n');
  }

  /** A line of samples.jsonl (generated text with its scores, for reading what the model does). */
  sample(record: Record<string, unknown>): void {
    if (!this.write) return;
    appendFileSync(this.samplesFile, JSON.stringify(record) + '\n');
  }

  /** Where metrics.jsonl and samples.jsonl end now (bytes): a checkpoint keeps it, so a resume cuts back to exactly there. */
  position(): LogPosition {
    const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
    return { metrics_bytes: size(this.metricsFile), samples_bytes: size(this.samplesFile) };
  }

  /**
   * Cuts metrics.jsonl and samples.jsonl back to a checkpoint: to the position it recorded when
   * there is one (everything logged after the checkpoint goes, the end-of-run evaluation too), else
   * to the lines of steps up to `step` (and lines without a step). A torn last line of a killed
   * writer goes either way. Returns the lines dropped.
   */
  cutBackTo(step: number, at?: LogPosition): number {
    if (!this.write) return 0;
    let dropped = 0;
    for (const [file, bytes] of [
      [this.metricsFile, at?.metrics_bytes],
      [this.samplesFile, at?.samples_bytes],
    ] as const) {
      if (!existsSync(file)) continue;
      const content = readFileSync(file);
      const byPosition = bytes !== undefined && content.length >= bytes;
      const lines = (byPosition ? content.subarray(0, bytes) : content).toString('utf8').split('\n');
      const all = content
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '').length;
      const kept = lines.filter((line) => {
        if (line.trim() === '') return false;
        let record: unknown;
        try {
          record = JSON.parse(line);
        } catch {
          return false;
        }
        const s = (record as { step?: unknown }).step;
        return byPosition || typeof s !== 'number' || s <= step;
      });
      dropped += all - kept.length;
      writeFileAtomically(file, kept.map((l) => l + '\n').join(''));
    }
    return dropped;
  }

  log(message: string, echo = true): void {
    if (!this.write) return;
    appendFileSync(this.logFile, `${new Date().toISOString()} ${message}\n`);
    if (echo) process.stderr.write(`${message}\n`);
  }
}

/** Fields that are a state at the step (kept as they are at the window's last step), not averaged. */
const AT_STEP = new Set(['step', 'epoch', 'lr', 'tokens_seen', 'tokens_per_s']);

/**
 * Training metrics every `loggingSteps` steps (TRL's logging_steps): each numeric field averaged over
 * the window's steps (a state — step, epoch, lr, tokens seen — as at its last step); 1 writes every
 * step as it is. The last step of a run always writes.
 */
export class MetricsWindow {
  private rows: Record<string, unknown>[] = [];
  constructor(
    private readonly run: RunFolder,
    private readonly loggingSteps: number,
  ) {}

  add(record: Record<string, unknown> & { step: number }, last: boolean): void {
    if (this.loggingSteps <= 1) {
      this.run.metrics(record);
      return;
    }
    this.rows.push(record);
    if (record.step % this.loggingSteps !== 0 && !last) return;
    const out: Record<string, unknown> = { ...record };
    for (const [k, v] of Object.entries(record)) {
      if (typeof v !== 'number' || AT_STEP.has(k)) continue;
      const xs = this.rows.map((r) => r[k]).filter((x): x is number => typeof x === 'number');
      out[k] = xs.reduce((a, b) => a + b, 0) / xs.length;
    }
    this.run.metrics(out);
    this.rows = [];
  }
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

export class Progress {
  private readonly start = performance.now();
  private lastPrinted = -1;
  private readonly tty = process.stderr.isTTY === true;
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly startStep = 0,
    private readonly quiet = false,
  ) {}

  update(step: number, fields: Record<string, string>): void {
    if (this.quiet) return;
    const done = step - this.startStep;
    const elapsed = (performance.now() - this.start) / 1000;
    const eta = done > 0 ? (elapsed / done) * (this.total - step) : Infinity;
    const width = 20;
    const filled = Math.round((step / this.total) * width);
    const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '') + ' '.repeat(width - filled);
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k} ${v}`)
      .join('  ');
    const line = `${this.label} ${String(step).padStart(String(this.total).length)}/${this.total} [${bar}] ${extra}  ETA ${duration(eta)}`;
    if (this.tty) {
      process.stderr.write(`\r${line}\x1b[K`);
      if (step >= this.total) process.stderr.write('\n');
      return;
    }
    const pct = Math.floor((step / this.total) * 20);
    if (pct !== this.lastPrinted || step >= this.total) {
      this.lastPrinted = pct;
      process.stderr.write(`${line}\n`);
    }
  }
}
