// Evaluation statistics: the unbiased pass@k estimator 1 − C(n−c, k) / C(n, k) (Codex paper),
// majority voting over sampled answers, and length summaries.

/** Unbiased pass@k from n samples of which c are correct (k ≤ n). */
export function passAtK(n: number, c: number, k: number): number {
  if (!(Number.isInteger(n) && Number.isInteger(c) && Number.isInteger(k)) || k < 1 || k > n || c < 0 || c > n) {
    throw new RangeError(`passAtK: need integers 0 <= c <= n and 1 <= k <= n, got n=${n} c=${c} k=${k}`);
  }
  if (n - c < k) return 1;
  let fail = 1; // C(n−c, k) / C(n, k) as a product, no overflow
  for (let i = n - c + 1; i <= n; i++) fail *= 1 - k / i;
  return 1 - fail;
}

/** The most frequent answer (ties: the one seen first); null answers do not vote. */
export function majorityVote<T>(answers: readonly (T | null)[], key: (a: T) => string = String): T | null {
  const counts = new Map<string, { n: number; first: number; value: T }>();
  answers.forEach((a, i) => {
    if (a === null) return;
    const k = key(a);
    const e = counts.get(k);
    if (e) e.n++;
    else counts.set(k, { n: 1, first: i, value: a });
  });
  let best: { n: number; first: number; value: T } | null = null;
  for (const e of counts.values()) if (!best || e.n > best.n || (e.n === best.n && e.first < best.first)) best = e;
  return best ? best.value : null;
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
