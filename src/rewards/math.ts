// verifyMath: the rule-based math reward. Is the answer a completion commits to equal to the gold?
// Extraction (math_extract.ts): last \boxed{}/\fbox{} → "final answer is X"/"Answer: X" → (optional)
// last number. Normalisation (math_normalize.ts) and comparison (math_compare.ts, math_cas.ts): see
// those files for the rules and the decisions taken on ambiguous forms (percent, thousands commas).
// Never hangs: only the last `maxLength` characters of a completion are read (answers come last),
// answers over MAX_ANSWER_CHARS are rejected, and the CAS is screened and time-budgeted.
// A gold that contains \boxed{} (a worked solution) stands for its last box.
// Returns { correct, extracted, normalizedGold, reason }; `reason` is a short machine-friendly
// phrase ('match', 'mismatch', 'empty box', 'no answer found', …) with notes appended after ';'.
import { CasClock } from './math_cas.js';
import { valuesEqual } from './math_compare.js';
import { extractAnswer } from './math_extract.js';
import { cleanLatex, parseAnswer } from './math_normalize.js';

export interface VerifyMathOptions {
  /** Use the last number of the text when there is no box and no "answer is" phrase. Default true. */
  fallbackLastNumber?: boolean;
  /** Relative tolerance for non-integer numeric comparison. Default 1e-6. */
  tolerance?: number;
  /** Characters of the completion looked at (its tail). Default 20000. */
  maxLength?: number;
}

export interface MathVerdict {
  correct: boolean;
  extracted: string | null;
  normalizedGold: string;
  reason: string;
}

export const MAX_ANSWER_CHARS = 2000;

export function verifyMath(completion: string, gold: string | number, opts: VerifyMathOptions = {}): MathVerdict {
  const fallback = opts.fallbackLastNumber ?? true;
  const tol = opts.tolerance ?? 1e-6;
  const maxLength = opts.maxLength ?? 20000;
  if (!(tol >= 0) || !(maxLength > 0)) throw new RangeError('verifyMath: tolerance must be ≥ 0 and maxLength > 0');
  let goldText = typeof gold === 'number' ? (Number.isFinite(gold) ? String(gold) : '') : String(gold);
  // a gold written as a worked solution ("… \boxed{3}") stands for its box
  if (goldText.includes('\\boxed') || goldText.includes('\\fbox')) {
    const g = extractAnswer(goldText.slice(-maxLength), false);
    if (g.source === 'boxed' && g.answer) goldText = g.answer;
  }
  const goldClipped = goldText.length > MAX_ANSWER_CHARS ? goldText.slice(0, MAX_ANSWER_CHARS) : goldText;
  const normalizedGold = cleanLatex(goldClipped);
  const notes: string[] = [];
  let text = typeof completion === 'string' ? completion : '';
  if (text.length > maxLength) {
    text = text.slice(text.length - maxLength);
    notes.push('input truncated to its tail');
  }
  const ex = extractAnswer(text, fallback);
  if (ex.multipleBoxes) notes.push('multiple different boxes, last used');
  const done = (correct: boolean, reason: string, extracted: string | null): MathVerdict => ({
    correct,
    extracted,
    normalizedGold,
    reason: [reason, ...notes].join('; '),
  });
  if (ex.answer === null) return done(false, 'no answer found', null);
  if (ex.answer.trim() === '') return done(false, 'empty box', '');
  if (goldText.trim() === '') return done(false, 'empty gold', ex.answer);
  if (ex.answer.length > MAX_ANSWER_CHARS) return done(false, 'answer too long', ex.answer.slice(0, 200));
  const clock = new CasClock();
  let equal: boolean;
  try {
    equal = valuesEqual(parseAnswer(ex.answer), parseAnswer(goldClipped), { tol, clock });
  } catch {
    equal = false;
    notes.push('comparison error');
  }
  if (clock.exhausted()) notes.push('CAS time budget spent');
  return done(equal, equal ? `match (${ex.source})` : `mismatch (${ex.source})`, ex.answer);
}
