// Learning-rate schedules by optimizer step: linear warmup from 0, then cosine decay to a floor
// (DeepSeek-V3's SFT: 5e-6 → 1e-6 over 2 epochs), linear decay, or constant. Pure functions of the
// step, so a resumed run gets exactly the rate it would have had.
import { ArgumentError } from '../tensor/index.js';

export type ScheduleKind = 'cosine' | 'linear' | 'constant';

export interface Schedule {
  kind: ScheduleKind;
  /** Peak rate, reached at the end of warmup. */
  lr: number;
  /** Floor of the decay (cosine, linear). */
  minLr: number;
  warmupSteps: number;
  totalSteps: number;
}

export function checkSchedule(s: Schedule): void {
  if (!(s.lr >= 0) || !(s.minLr >= 0) || s.minLr > s.lr)
    throw new ArgumentError('schedule', `need 0 <= minLr (${s.minLr}) <= lr (${s.lr})`);
  if (!Number.isInteger(s.warmupSteps) || s.warmupSteps < 0)
    throw new ArgumentError('schedule', `warmupSteps must be an integer >= 0, got ${s.warmupSteps}`);
  if (!Number.isInteger(s.totalSteps) || s.totalSteps < 1)
    throw new ArgumentError('schedule', `totalSteps must be a positive integer, got ${s.totalSteps}`);
}

/** The rate for optimizer step `step` (0-based: the step about to be taken). */
export function lrAt(s: Schedule, step: number): number {
  if (step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  if (s.kind === 'constant') return s.lr;
  const span = Math.max(1, s.totalSteps - s.warmupSteps - 1);
  const progress = Math.min(1, (step - s.warmupSteps) / span);
  if (s.kind === 'linear') return s.lr + (s.minLr - s.lr) * progress;
  return s.minLr + (s.lr - s.minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
