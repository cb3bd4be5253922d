// Reward composition: named reward functions with weights, sync or async, combined per sample into
// a weighted total with the per-function breakdown kept for logging. A function may answer null
// ("cannot judge"): then the sample has no total and is skipped by the trainer — and counted.
export interface RewardInput {
  prompt: string;
  completion: string;
  /** Generated tokens, when the caller knows them (length-based rewards). */
  completionTokens?: number;
  /** The dataset row: reference answer, tests, anything a reward needs. */
  example: Record<string, unknown>;
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
}

export async function scoreAll(rewards: readonly NamedReward[], inputs: readonly RewardInput[]): Promise<Scores> {
  const names = new Set<string>();
  for (const r of rewards) {
    if (names.has(r.name)) throw new Error(`reward '${r.name}' is listed twice`);
    if (!Number.isFinite(r.weight)) throw new Error(`reward '${r.name}': weight must be a finite number, got ${r.weight}`);
    names.add(r.name);
  }
  const breakdown: Record<string, (number | null)[]> = {};
  for (const r of rewards) {
    breakdown[r.name] = await Promise.all(inputs.map(async (x, i) => {
      const v = await r.fn(x);
      if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) throw new Error(`reward '${r.name}' returned ${String(v)} for sample ${i} (a finite number or null)`);
      return v;
    }));
  }
  const total = inputs.map((_, i) => {
    let sum = 0;
    for (const r of rewards) {
      const v = breakdown[r.name]![i]!;
      if (v === null) return null;
      sum += r.weight * v;
    }
    return sum;
  });
  return { total, breakdown, skipped: total.filter((t) => t === null).length };
}
