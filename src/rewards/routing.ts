// Per-prompt reward routing as in DeepSeek-V3 (SPEC.md §2.1) with guards against reward hacking:
//   - the rule verifier where one applies (it returns a number for the row),
//   - else the model judge with the reference when the row has a free-form reference,
//   - else the model-based score without one: the judge without reference and/or scalar reward
//     models, combined as an ensemble (mean or min);
// a rule gate (e.g. format) that must pass before a model score counts, clipping of model scores,
// and diagnostics: the correlation of model scores with response length, and how often the model
// and the rule verifier disagree where both apply (checked on a share of rule-routed samples).
import type { RewardFn, RewardInput } from './compose.js';

/** The data column the judge with reference reads: a free-form reference answer. */
export const REFERENCE_COLUMN = 'reference';

export interface RoutingOptions {
  /** Rule-based verifier: a number where it applies, null where it does not. */
  rule?: RewardFn;
  /** Model judge given the row's reference (rows with a `reference` column). */
  judgeWithReference?: RewardFn;
  /** Model scores without a reference: judges and/or scalar reward models. */
  models?: RewardFn[];
  ensemble?: 'mean' | 'min';
  /** A model score counts only when the gate gives at least gateThreshold; else the gated value. */
  gate?: RewardFn;
  gateThreshold?: number;
  gatedValue?: number;
  /** Model scores are clipped into [lo, hi]. */
  clip?: [number, number];
  /** Share of rule-routed samples also scored by the models, for the disagreement diagnostic. */
  crossCheck?: number;
  /** A model score ≥ this counts as "correct" when compared with the rule verifier. */
  agreeThreshold?: number;
}

export interface RoutingDiagnostics {
  routed: { rule: number; judgeWithReference: number; models: number; none: number };
  gated: number;
  /** Pearson correlation of model scores with completion length (null with < 3 samples or no spread). */
  modelLengthCorrelation: number | null;
  /** Share of cross-checked samples where the model's verdict differs from the rule's. */
  modelRuleDisagreement: number | null;
  crossChecked: number;
}

function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  if (xs.length < 3) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length,
    my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  });
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}

/**
 * The routed reward. diagnostics() covers every sample since the start or the last
 * diagnostics({ reset: true }) (a trainer takes them per round). Each sample gets a 'route' note.
 */
export function routedReward(o: RoutingOptions): RewardFn & { diagnostics(opts?: { reset?: boolean }): RoutingDiagnostics } {
  let routed = { rule: 0, judgeWithReference: 0, models: 0, none: 0 };
  let gated = 0,
    checked = 0,
    disagree = 0,
    seen = 0;
  let scores: number[] = [],
    lengths: number[] = [];
  const clip = (v: number) => (o.clip ? Math.min(o.clip[1], Math.max(o.clip[0], v)) : v);
  const modelScore = async (x: RewardInput): Promise<number | null> => {
    const vals: number[] = [];
    for (const m of o.models ?? []) {
      const v = await m(x);
      if (v !== null) vals.push(clip(v));
    }
    if (vals.length === 0) return null;
    return o.ensemble === 'min' ? Math.min(...vals) : vals.reduce((a, b) => a + b, 0) / vals.length;
  };
  const record = (x: RewardInput, v: number) => {
    scores.push(v);
    lengths.push(x.completionTokens ?? x.completion.length);
  };
  const fn: RewardFn = async (x) => {
    const index = ++seen; // taken before any await: calls overlap
    const ruled = o.rule ? await o.rule(x) : null;
    if (ruled !== null) {
      routed.rule++;
      x.note?.('route', 'rule');
      const share = o.crossCheck ?? 0;
      if (o.models?.length && share > 0 && Math.floor(index * share) > Math.floor((index - 1) * share)) {
        // every 1/share-th
        const m = await modelScore(x);
        if (m !== null) {
          checked++;
          if (m >= (o.agreeThreshold ?? 0.5) !== ruled > 0.5) disagree++;
        }
      }
      return ruled;
    }
    if (o.gate && ((await o.gate(x)) ?? 0) < (o.gateThreshold ?? 1)) {
      gated++;
      x.note?.('route', 'gated');
      return o.gatedValue ?? 0;
    }
    const ref = x.example[REFERENCE_COLUMN];
    if (o.judgeWithReference && ref !== undefined && ref !== null) {
      routed.judgeWithReference++;
      x.note?.('route', 'judge-with-reference');
      const v = await o.judgeWithReference(x);
      if (v !== null) record(x, clip(v));
      return v === null ? null : clip(v);
    }
    if (o.models?.length) {
      routed.models++;
      x.note?.('route', 'models');
      const v = await modelScore(x);
      if (v !== null) record(x, v);
      return v;
    }
    routed.none++;
    x.note?.('route', 'none');
    return null;
  };
  return Object.assign(fn, {
    diagnostics: (opts: { reset?: boolean } = {}): RoutingDiagnostics => {
      const d: RoutingDiagnostics = {
        routed: { ...routed },
        gated,
        modelLengthCorrelation: pearson(scores, lengths),
        modelRuleDisagreement: checked ? disagree / checked : null,
        crossChecked: checked,
      };
      if (opts.reset) {
        routed = { rule: 0, judgeWithReference: 0, models: 0, none: 0 };
        gated = checked = disagree = 0;
        scores = [];
        lengths = [];
      }
      return d;
    },
  });
}
