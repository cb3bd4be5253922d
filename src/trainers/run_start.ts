// How a trainer takes its output_dir, and what it does with a run already there — one decision for
// every trainer (SFT, reward model, distillation, GRPO), made on rank 0 and shared with the others:
//   - the folder is locked for the run's life (common/run_lock.ts): a second trainer on the same
//     output_dir stops at once naming the holder; a killed run's stale lock is taken over;
//   - a run already there (checkpoints, final/, run_state.json) is resumed from its newest
//     checkpoint, but only with the config it was started with: fields that change what is trained
//     are compared with its config.json and a difference is refused naming each field (old → new),
//     unless `resume_with_changed_config: true` (the changes are logged and kept in run_state.json);
//     fields that only change bookkeeping (MAY_CHANGE_ON_RESUME) may differ, and the global batch
//     (per-device batch × accumulation × ranks) must stay the same however it is split;
//   - a finished run (run_state.json status 'finished', final/ present) with an unchanged config is a
//     no-op that says so and writes nothing; with resume_with_changed_config (say, more max_steps)
//     it continues from its last checkpoint;
//   - `resume_from_checkpoint: false` over a run is refused unless `overwrite_output_dir: true`,
//     which removes that run's checkpoints, final model, metrics and samples first;
//   - on resume, metrics.jsonl and samples.jsonl are cut back to the checkpoint's step, so the
//     replayed steps appear once (TensorBoard's event files get a session-start event that makes
//     TensorBoard drop the earlier files' later steps); config.json is written only after these
//     checks pass.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Schema } from '../common/schema.js';
import { acquireLock, type RunLock } from '../common/run_lock.js';
import { RunFolder, type LogPosition } from '../common/run_folder.js';
import { parseJson, writeFileAtomically } from '../common/files.js';
import { describeConfig } from '../common/schema.js';
import { checkpointDir, latestCheckpoint } from './checkpoint.js';
import type { DataParallel } from './data_parallel.js';

/** Fields that change where and how often things are written, or how a step is split and computed, not what is trained. */
export const MAY_CHANGE_ON_RESUME: ReadonlySet<string> = new Set([
  'output_dir',
  'resume_from_checkpoint',
  'overwrite_output_dir',
  'resume_with_changed_config',
  'logging_steps',
  'save_steps',
  'save_total_limit',
  'eval_steps',
  'report_to',
  'ddp_timeout',
  'device',
  'gradient_checkpointing',
  'logits_chunk_size',
  'per_device_train_batch_size',
  'per_device_eval_batch_size',
  'gradient_accumulation_steps',
]);

export const RUN_STATE_FILE = 'run_state.json';

export interface RunState {
  kind: string;
  status: 'running' | 'finished';
  world_size: number;
  /** Rows (or prompts) per optimizer step over all ranks. */
  global_batch: number;
  /** Each start of the run: when, from which step, what changed. */
  starts: { at: string; from_step: number; changes: string[] }[];
  finished_at?: string;
  /** The trainer's result, returned again when the finished run is re-run. */
  result?: Record<string, unknown>;
}

export interface RunStart {
  run: RunFolder;
  /** The checkpoint to continue from, or null for a fresh start. */
  resumeFrom: { step: number; dir: string } | null;
  /** When the run in output_dir is already finished: its result (the trainer returns it and does nothing). */
  finished: Record<string, unknown> | null;
  /** Records the run as finished with its result (rank 0 writes). */
  finish(result: Record<string, unknown>): void;
  /** Lets go of output_dir (also done at exit). */
  release(): void;
}

interface RunCfg {
  output_dir: string;
  resume_from_checkpoint: boolean;
  overwrite_output_dir: boolean;
  resume_with_changed_config: boolean;
  report_to?: readonly string[];
}

interface Decision {
  error?: string;
  resumeStep: number | null;
  finished: Record<string, unknown> | null;
}

const show = (v: unknown): string => (v === undefined ? '(absent)' : JSON.stringify(v));

/** Fields of `now` that differ from the run's recorded config, as "name: old → new". */
export function changedFields(schema: Schema, before: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [name, spec] of Object.entries(schema)) {
    if (MAY_CHANGE_ON_RESUME.has(name)) continue;
    const old = name in before ? before[name] : spec.default; // a field newer than the run: its default
    if (!isDeepStrictEqual(old, now[name])) out.push(`${name}: ${show(old)} → ${show(now[name])}`);
  }
  return out;
}

/** Where the logs ended when a checkpoint was saved (trainer_state.json's extra.log_position), if it says. */
function logPositionOf(checkpoint: string): LogPosition | undefined {
  try {
    const state = JSON.parse(readFileSync(join(checkpoint, 'trainer_state.json'), 'utf8')) as { extra?: { log_position?: LogPosition } };
    return state.extra?.log_position;
  } catch {
    return undefined;
  }
}

function readState(dir: string): RunState | null {
  const file = join(dir, RUN_STATE_FILE);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunState;
  } catch (e) {
    throw new Error(`${file}: not readable JSON (${(e as Error).message}); move it away to treat the folder as a new run`);
  }
}

/**
 * Takes output_dir for a trainer of `kind` and decides: fresh, resume (from which checkpoint),
 * already finished, or refused (thrown on every rank with the same message).
 */
export async function startRun(o: {
  kind: string;
  cfg: RunCfg;
  schema: Schema;
  dp: DataParallel;
  globalBatch: number;
  /** No echo of the messages on stderr (they still go to log.txt). */
  quiet?: boolean;
}): Promise<RunStart> {
  const { cfg, dp } = o;
  const dir = cfg.output_dir;
  const values = cfg as unknown as Record<string, unknown>;
  let lock: RunLock | null = null;
  let decision: Decision;
  let changes: string[] = [];
  let previous: RunState | null = null;
  const notes: string[] = []; // for log.txt once the run folder is open
  const note = (m: string): void => void notes.push(m);
  if (dp.isMain) {
    try {
      lock = acquireLock(dir, 'output_dir');
      if (lock.tookOverFrom) note(`output_dir: took over the lock of a process that is gone (pid ${lock.tookOverFrom.pid})`);
      ({ decision, changes, previous } = decide(o.kind, cfg, o.schema, dp.worldSize, o.globalBatch, note));
    } catch (e) {
      decision = { error: (e as Error).message, resumeStep: null, finished: null };
    }
  } else decision = { resumeStep: null, finished: null };
  if (dp.enabled) decision = (await dp.gather(decision))[0]!;
  if (decision.error !== undefined) {
    lock?.release();
    throw new Error(decision.error);
  }
  const release = (): void => lock?.release();
  if (decision.finished) {
    release();
    if (!o.quiet) for (const m of notes) process.stderr.write(`${m}\n`);
    return { run: new RunFolder(dir, { write: false }), resumeFrom: null, finished: decision.finished, finish: () => {}, release };
  }
  const run = new RunFolder(dir, { write: dp.isMain, reportTo: cfg.report_to });
  const resumeFrom = decision.resumeStep === null ? null : { step: decision.resumeStep, dir: checkpointDir(dir, decision.resumeStep) };
  if (dp.isMain) {
    for (const m of notes) run.log(m, !o.quiet);
    const dropped = run.cutBackTo(
      resumeFrom?.step ?? 0,
      resumeFrom ? logPositionOf(resumeFrom.dir) : { metrics_bytes: 0, samples_bytes: 0 },
    );
    run.tensorboard?.sessionStart((resumeFrom?.step ?? 0) + 1); // TensorBoard's own cut of the earlier event files
    if (dropped > 0)
      run.log(
        `metrics: dropped ${dropped} lines of steps after ${resumeFrom ? `checkpoint step ${resumeFrom.step}` : 'the start'}, which this run records again`,
        !o.quiet,
      );
    run.writeConfig(values, describeConfig(o.schema, values));
    const state: RunState = {
      kind: o.kind,
      status: 'running',
      world_size: dp.worldSize,
      global_batch: o.globalBatch,
      starts: [...(previous?.starts ?? []), { at: new Date().toISOString(), from_step: resumeFrom?.step ?? 0, changes }],
    };
    writeFileAtomically(join(dir, RUN_STATE_FILE), JSON.stringify(state, null, 2) + '\n');
    const finish = (result: Record<string, unknown>): void => {
      writeFileAtomically(
        join(dir, RUN_STATE_FILE),
        JSON.stringify({ ...state, status: 'finished', finished_at: new Date().toISOString(), result }, null, 2) + '\n',
      );
    };
    return { run, resumeFrom, finished: null, finish, release };
  }
  return { run, resumeFrom, finished: null, finish: () => {}, release };
}

function decide(
  kind: string,
  cfg: RunCfg,
  schema: Schema,
  worldSize: number,
  globalBatch: number,
  log: (m: string) => void,
): { decision: Decision; changes: string[]; previous: RunState | null } {
  const dir = cfg.output_dir;
  const state = readState(dir);
  const latest = latestCheckpoint(dir);
  const hasFinal = existsSync(join(dir, 'final'));
  const holdsRun = state !== null || latest !== null || hasFinal;
  const fresh = { decision: { resumeStep: null, finished: null }, changes: [], previous: null };
  if (!holdsRun) return fresh;
  const what = `output_dir ${dir} holds a ${state?.kind ?? 'previous'} run (${latest ? `newest checkpoint step ${latest.step}` : 'no checkpoint yet'}${state?.status === 'finished' ? ', finished' : ''})`;
  if (state && state.kind !== kind && !cfg.overwrite_output_dir) {
    throw new Error(`${what}, not a ${kind} run: choose another output_dir`);
  }
  if (!cfg.resume_from_checkpoint || cfg.overwrite_output_dir) {
    if (!cfg.overwrite_output_dir) {
      throw new Error(`${what}; resume_from_checkpoint is false: set overwrite_output_dir: true to remove it and start over, or resume it`);
    }
    for (const name of ['checkpoints', 'final', 'final-adapter', 'runs', 'metrics.jsonl', 'samples.jsonl', RUN_STATE_FILE]) {
      rmSync(join(dir, name), { recursive: true, force: true });
    }
    log(`overwrite_output_dir: removed the run that was in ${dir}; starting over`);
    return fresh;
  }
  const configFile = join(dir, 'config.json');
  const before = existsSync(configFile)
    ? (parseJson(readFileSync(configFile, 'utf8'), configFile, "the run's config.json (compared with this config on resume)") as Record<
        string,
        unknown
      >)
    : null;
  const changes = before ? changedFields(schema, before, cfg as unknown as Record<string, unknown>) : [];
  if (state && state.global_batch !== globalBatch) {
    changes.push(
      `global batch: ${state.global_batch} (${state.world_size} rank${state.world_size > 1 ? 's' : ''}) → ${globalBatch} (${worldSize}): per-device batch × accumulation × ranks must stay the same`,
    );
  }
  if (changes.length > 0 && !cfg.resume_with_changed_config) {
    throw new Error(
      `${what}, started with another config:\n  - ${changes.join('\n  - ')}\n` +
        'restore those fields to resume it, set resume_with_changed_config: true to continue it with the new values, ' +
        'or use a new output_dir (or overwrite_output_dir: true with resume_from_checkpoint: false to start over)',
    );
  }
  if (state?.status === 'finished' && hasFinal && changes.length === 0) {
    log(`${what}: nothing to do — its final model is in ${join(dir, 'final')}; set a new output_dir to train again`);
    return { decision: { resumeStep: null, finished: state.result ?? {} }, changes, previous: state };
  }
  if (changes.length > 0) log(`resuming with a changed config (resume_with_changed_config):\n  - ${changes.join('\n  - ')}`);
  return { decision: { resumeStep: latest?.step ?? null, finished: null }, changes, previous: state };
}

/**
 * A trainer's loop inside its output_dir: startRun, then `loop` unless the run is finished (its
 * stored result is returned), the run recorded finished when the loop returns a final model, and
 * the folder released however the loop ends.
 */
export async function inRunFolder<R extends { finalDir: string }>(
  o: Parameters<typeof startRun>[0],
  loop: (start: RunStart) => Promise<R>,
): Promise<R> {
  const start = await startRun(o);
  if (start.finished) return start.finished as unknown as R;
  try {
    const result = await loop(start);
    if (result.finalDir) start.finish(result as unknown as Record<string, unknown>);
    return result;
  } finally {
    start.release();
  }
}
