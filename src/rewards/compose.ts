// Reward composition: named reward functions with weights, sync or async, combined per sample into
// a weighted total with the per-function breakdown kept for logging. A function may answer null
// ("cannot judge"): then the sample has no total and is skipped by the trainer — and counted;
// except a weight-0 reward, which is only logged (an accuracy metric on a mixed dataset).
// A function may also leave notes on a sample (x.note(key, value): the route it took, a judge's
// reasoning), which scoreAll returns per sample for the trainer's samples log.
export interface RewardInput {
  prompt: string;
  completion: string;
  /** Generated tokens, when the caller knows them (length-based rewards). */
  completionTokens?: number;
  /** The dataset row: reference answer, tests, anything a reward needs. */
  example: Record<string, unknown>;
  /** Leaves a note on this sample for the logs (set by scoreAll; absent elsewhere). */
  note?: (key: string, value: unknown) => void;
}

export type RewardFn = (x: RewardInput) => number | null | Promise<number | null>;

export interface NamedReward {
  name: string;
  weight: number;
  fn: RewardFn;
}

export interface Scores {
  /** Weighted sum per sample; null when some reward could not judge it. */
  total: (number | null)[];
  /** Each reward's raw (unweighted) value per sample. */
  breakdown: Record<string, (number | null)[]>;
  /** Samples with a null total. */
  skipped: number;
  /** Notes the reward functions left on each sample (empty objects where none). */
  notes: Record<string, unknown>[];
}

export async function scoreAll(rewards: readonly NamedReward[], inputs: readonly RewardInput[]): Promise<Scores> {
  const names = new Set<string>();
  for (const r of rewards) {
    if (names.has(r.name)) throw new Error(`reward '${r.name}' is listed twice`);
    if (!Number.isFinite(r.weight)) throw new Error(`reward '${r.name}': weight must be a finite number, got ${r.weight}`);
    names.add(r.name);
  }
  const breakdown: Record<string, (number | null)[]> = {};
  const notes: Record<string, unknown>[] = inputs.map(() => ({}));
  const noted = inputs.map((x, i) => ({
    ...x,
    note: (key: string, value: unknown) => {
      notes[i]![key] = value;
    },
  }));
  for (const r of rewards) {
    breakdown[r.name] = await Promise.all(
      noted.map(async (x, i) => {
        const v = await r.fn(x);
        if (v !== null && (typeof v !== 'number' || !Number.isFinite(v)))
          throw new Error(`reward '${r.name}' returned ${String(v)} for sample ${i} (a finite number or null)`);
        return v;
      }),
    );
  }
  const total = inputs.map((_, i) => {
    let sum = 0;
    for (const r of rewards) {
      const v = breakdown[r.name]![i]!;
      if (v === null && r.weight === 0) continue; // logged only: it cannot void the sample
      if (v === null) return null;
      sum += r.weight * v;
    }
    return sum;
  });
  return { total, breakdown, skipped: total.filter((t) => t === null).length, notes };
}
