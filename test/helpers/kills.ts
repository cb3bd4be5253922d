// SIGKILL a run again and again at random moments, each time after it has made some progress, for
// the fault tests of trainers and gen-data: a run is started, allowed to advance (a new checkpoint,
// a new ledger line), then killed after a further random 0..maxExtraMs, until `kills` kills have
// landed or the run is near its end. The delays come from a seeded stream, so a failure replays.
import type { ChildProcess } from 'node:child_process';
import { mulberry32 } from '../../src/common/rng.js';

export interface KillLoop {
  /** Starts the run (a new process each time; it resumes what the previous one left). */
  start: () => ChildProcess;
  /** How far the run has come (newest checkpoint step, ledger lines). */
  progress: () => number;
  /** Stop killing from this progress on (leave the end to an uninterrupted finish). */
  stopAt: number;
  kills: number;
  seed: number;
  maxExtraMs: number;
}

/** Kills that landed (the process was still running) and the progress after each. */
export async function killRepeatedly(o: KillLoop): Promise<{ kills: number; progress: number[] }> {
  let state = o.seed;
  let kills = 0;
  const progress: number[] = [];
  while (kills < o.kills && o.progress() < o.stopAt) {
    const child = o.start();
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const before = o.progress();
    for (let t = 0; t < 3000 && o.progress() === before && child.exitCode === null; t++) await new Promise((r) => setTimeout(r, 10));
    const r = mulberry32(state);
    state = r.state;
    await new Promise((res) => setTimeout(res, Math.floor(r.u * o.maxExtraMs)));
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      kills++;
    }
    await exited;
    progress.push(o.progress());
  }
  return { kills, progress };
}
