// verifyMath: the rule-based math reward. Is the answer a completion commits to equal to the gold?
// Extraction (math_extract.ts, after Math-Verify): candidates in priority order — "final answer is",
// boxes (a run of boxes is a set of answers), "answer:", "answer", then math or a number anywhere —
// and the first candidate that parses is the answer. The gold is read the same way when it is
// written as a solution (a box, or text with $…$); a bare gold ("x \ge 5", "1, 2, 3") is read whole
// as LaTeX. Normalisation (math_normalize.ts) and comparison (math_compare.ts, math_cas.ts): see
// those files for the rules and the decisions taken on ambiguous forms (percent, thousands commas).
// Never hangs: only the last `maxLength` characters of a completion are read (answers come last),
// answers over MAX_ANSWER_CHARS are rejected, and the CAS is screened and time-budgeted.
// Returns { correct, extracted, normalizedGold, reason }; `reason` is a short machine-friendly
// phrase ('match (boxed)', 'mismatch (expr)', 'empty box', 'no answer found', …) with notes after ';'.
import { CasClock } from './math_cas.js';
import { valuesEqual } from './math_compare.js';
import { extractCandidates, type Candidate, type ExtractTarget } from './math_extract.js';
import { cleanLatex, parseCleaned, type Value } from './math_normalize.js';

export interface VerifyMathOptions {
  /** What is read from the completion: 'latex' (boxes, math environments, \frac) and 'expr' (plain
   *  numbers and arithmetic). Default both (Math-Verify's LaTeX + expression targets). */
  extract?: ExtractTarget[];
  /** What is read from a gold written as a solution. Default both. */
  goldExtract?: ExtractTarget[];
  /** Read an answer with no anchor (no box, no "answer"): the last math or number anywhere.
   *  Default true (Math-Verify's try_extract_without_anchor). */
  extractWithoutAnchor?: boolean;
  /** Where boxes stand in the extraction order (math_extract.ts PRIORITIES): default 50, beside
   *  "final answer … is"; 0 puts them first; -1 does not read them (Math-Verify's boxed_match_priority). */
  boxedMatchPriority?: number;
  /** Relative tolerance for non-integer numeric comparison (and the CAS's numeric check). Default 1e-6. */
  tolerance?: number;
  /** Variables must match: 2x is not 2y, an equation in x is not one in t. Default true (Math-Verify's
   *  strict); false compares expressions up to a renaming of their variables. */
  strict?: boolean;
  /** Characters of the completion looked at (its tail). Default 100000; a completion cut to its tail
   *  is read only where an anchor (a box, "answer") marks the answer: the cut may fall inside a formula. */
  maxLength?: number;
}

export interface MathVerdict {
  correct: boolean;
  extracted: string | null;
  normalizedGold: string;
  reason: string;
}

export const MAX_ANSWER_CHARS = 2000;

/** How a reward reads a completion, as TRL's accuracy_reward asks Math-Verify to: LaTeX only, boxes
 *  first, nothing without an anchor (a model is rewarded for the answer it marks, never for a number
 *  it happens to write last). The gold is read with the defaults. */
export const ACCURACY_REWARD: Readonly<VerifyMathOptions> = { extract: ['latex'], extractWithoutAnchor: false, boxedMatchPriority: 0 };
const MATH_DELIMITERS = /\\boxed|\\fbox|\$|\\\(|\\\[/;

/** The first candidate that parses (non-empty after cleaning, not too long), or why none did. */
function firstParsed(cands: Candidate[]): { cand: Candidate; value: Value } | { why: string } {
  let why = 'no answer found';
  for (const c of cands) {
    if (c.parts === 0) {
      if (why === 'no answer found') why = 'no valid number';
      continue;
    }
    if (c.answer.trim() === '') {
      if (c.source === 'boxed') why = 'empty box';
      continue;
    }
    if (c.answer.length > MAX_ANSWER_CHARS) {
      why = 'answer too long';
      continue;
    }
    const clean = cleanLatex(c.answer);
    if (clean === '' || /^[.,;:!?]+$/.test(clean)) continue;
    try {
      return { cand: c, value: parseCleaned(clean) };
    } catch {
      why = 'unparseable answer';
    }
  }
  return { why };
}

export function verifyMath(completion: string, gold: string | number, opts: VerifyMathOptions = {}): MathVerdict {
  const tol = opts.tolerance ?? 1e-6;
  const maxLength = opts.maxLength ?? 100_000;
  const anywhere = opts.extractWithoutAnchor ?? true;
  if (!(tol >= 0) || !(maxLength > 0)) throw new RangeError('verifyMath: tolerance must be ≥ 0 and maxLength > 0');
  const notes: string[] = [];
  // the gold: a solution (boxes, $…$) is read like a completion; a bare answer is LaTeX as written
  let goldText = typeof gold === 'number' ? (Number.isFinite(gold) ? String(gold) : '') : String(gold);
  if (goldText.length > maxLength) goldText = goldText.slice(-maxLength);
  let goldValue: Value | null = null;
  if (MATH_DELIMITERS.test(goldText)) {
    const g = firstParsed(extractCandidates(goldText, opts.goldExtract ?? ['latex', 'expr']));
    if ('cand' in g) {
      goldText = g.cand.answer;
      goldValue = g.value;
    }
  }
  if (goldText.length > MAX_ANSWER_CHARS) goldText = goldText.slice(0, MAX_ANSWER_CHARS);
  const normalizedGold = cleanLatex(goldText);
  let text = typeof completion === 'string' ? completion : '';
  let cut = false;
  if (text.length > maxLength) {
    text = text.slice(text.length - maxLength);
    cut = true;
    notes.push('input truncated to its tail');
  }
  const done = (correct: boolean, reason: string, extracted: string | null): MathVerdict => ({
    correct,
    extracted,
    normalizedGold,
    reason: [reason, ...notes].join('; '),
  });
  let cands = extractCandidates(text, opts.extract ?? ['latex', 'expr'], { boxedPriority: opts.boxedMatchPriority });
  if (!anywhere || cut) cands = cands.filter((c) => c.source !== 'latex' && c.source !== 'expr');
  const got = firstParsed(cands);
  if (!('cand' in got)) return done(false, got.why, got.why === 'empty box' ? '' : null);
  if (goldText.trim() === '') return done(false, 'empty gold', got.cand.answer);
  if (got.cand.parts > 1) notes.push(`${got.cand.parts} answers joined`);
  if (got.cand.skippedBoxes) notes.push('multiple different boxes, last used');
  const clock = new CasClock();
  let equal: boolean;
  try {
    equal = valuesEqual(got.value, goldValue ?? parseCleaned(normalizedGold), { tol, clock, strict: opts.strict ?? true });
  } catch {
    equal = false;
    notes.push('comparison error');
  }
  if (clock.exhausted()) notes.push('CAS time budget spent');
  return done(equal, `${equal ? 'match' : 'mismatch'} (${got.cand.source})`, got.cand.answer);
}
