// Seeded pseudo-random numbers for the built-in task: mulberry32, so the same seed gives the same
// task on every machine and Node version (Math.random is never used). Each part of the task draws
// from its own stream (Rng.fork), so changing how many pretraining documents are asked for does not
// change the SFT conversations or the held-out problems.

/** One mulberry32 step over an exposed 32-bit state: u in [0, 1) and the next state (for callers
 *  that checkpoint their stream, e.g. the distillation trainer's on-policy draws). */
export function mulberry32(state: number): { u: number; state: number } {
  const s = (state + 0x6d2b79f5) >>> 0;
  let t = Math.imul(s ^ (s >>> 15), s | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { u: ((t ^ (t >>> 14)) >>> 0) / 4294967296, state: s };
}

/**
 * A 32-bit seed from several integers (each up to 2^53), e.g. (run seed, round, prompt, sample):
 * streams keyed by what they are for, not by how many draws came before.
 */
export function seedFrom(...parts: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const x = Math.floor(part);
    for (const w of [Math.floor(x / 4294967296) >>> 0, x >>> 0]) {
      h = Math.imul(h ^ w, 0x01000193);
      h ^= h >>> 15;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
    }
  }
  return h >>> 0;
}

/** A 32-bit seed from a text (FNV-1a over its UTF-16 code units): a stream keyed by a prompt or an id. */
export function textSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Rng {
  private state: number;
  private readonly seed: number;

  constructor(seed: number) {
    this.seed = Math.floor(seed) >>> 0;
    this.state = (this.seed ^ 0x9e3779b9) >>> 0;
    for (let i = 0; i < 4; i++) this.next(); // let nearby seeds drift apart
  }

  /** A float in [0, 1). */
  next(): number {
    const draw = mulberry32(this.state);
    this.state = draw.state;
    return draw.u;
  }

  /** An integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    if (hi < lo) throw new RangeError(`Rng.int: empty range [${lo}, ${hi}]`);
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Rng.pick: no items');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Index drawn with probability proportional to its weight. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** `count` distinct items, in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    return this.shuffle(items.slice()).slice(0, count);
  }

  /** Fisher-Yates, in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** An independent stream named by `label`: depends on this stream's seed and the label only,
   *  not on how many numbers were drawn before. */
  fork(label: string): Rng {
    let h = 2166136261;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619);
    return new Rng((Math.imul(this.seed, 0x85ebca6b) ^ h) >>> 0);
  }
}
