// Answer extraction for the math reward: completion text → the answer string it commits to.
// Order: the content of the LAST \boxed{...} / \fbox{...} (balanced braces; `\boxed 5` also
// accepted); else the last "final answer is X" / "answer is X" / "Answer: X"; else, when allowed,
// the last number in the text. Several different boxed answers: the last one counts (a model that
// hedges across boxes is graded on its final word) and the caller is told via `multipleBoxes`.
// A box whose braces never close is ignored (an earlier closed box is used instead).
// Linear-time scans only (no backtracking regexes over the whole text), so any input returns fast.

export interface Extraction {
  /** The answer text, or null when nothing was found. '' means an empty box. */
  answer: string | null;
  /** 'boxed' | 'phrase' | 'last-number' | 'none' */
  source: 'boxed' | 'phrase' | 'last-number' | 'none';
  /** More than one distinct boxed answer was present. */
  multipleBoxes: boolean;
}

const BOX_COMMANDS = ['\\boxed', '\\fbox'];

/** The content of a brace group opening at `open` (text[open] === '{'), or null if unbalanced. */
export function braceGroup(text: string, open: number): { content: string; end: number } | null {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') { i++; continue; } // escaped char such as \{ or \}
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return { content: text.slice(open + 1, i), end: i + 1 };
    }
  }
  return null;
}

/** All closed boxes, in order of appearance. */
function findBoxes(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    let best = -1;
    let cmdLen = 0;
    for (const cmd of BOX_COMMANDS) {
      const j = text.indexOf(cmd, i);
      if (j >= 0 && (best < 0 || j < best)) { best = j; cmdLen = cmd.length; }
    }
    if (best < 0) break;
    let k = best + cmdLen;
    // \boxedfoo is another command, not a box
    if (k < text.length && /[A-Za-z]/.test(text[k]!)) { i = k; continue; }
    while (k < text.length && (text[k] === ' ' || text[k] === '\t')) k++;
    if (text[k] === '{') {
      const g = braceGroup(text, k);
      if (g) { out.push(g.content); i = g.end; continue; }
      i = k + 1;
      continue;
    }
    // \boxed 5 : one token
    const m = /^[^\s$}]+/.exec(text.slice(k, k + 200));
    if (m && k > best + cmdLen) out.push(m[0]);
    i = k + 1;
  }
  return out;
}

const PHRASES = ['final answer is', 'final answer:', 'answer is', 'answer:'];

function findPhrase(text: string): string | null {
  const lower = text.toLowerCase();
  let bestPos = -1;
  let bestLen = 0;
  for (const p of PHRASES) {
    const j = lower.lastIndexOf(p);
    // a later match wins; at the same end position prefer the longer phrase
    if (j >= 0 && j + p.length > bestPos + bestLen) { bestPos = j; bestLen = p.length; }
  }
  if (bestPos < 0) return null;
  let rest = text.slice(bestPos + bestLen, bestPos + bestLen + 2000);
  const nl = rest.indexOf('\n');
  if (nl >= 0) rest = rest.slice(0, nl);
  rest = rest.trim();
  // keep $...$ content whole; else cut at a sentence end ". " (not a decimal point)
  const dollar = /^\$+([^$]*)\$+/.exec(rest);
  if (dollar) rest = dollar[1]!;
  else {
    const end = /\.(\s|$)/.exec(rest);
    if (end) rest = rest.slice(0, end.index);
  }
  rest = rest.replace(/^[:\s]+/, '').replace(/[.\s]+$/, '').replace(/^\*+|\*+$/g, '').trim();
  return rest.length > 0 ? rest : null;
}

function lastNumber(text: string): string | null {
  const re = /-?\d+(?:,\d{3})*(?:\.\d+)?(?:\/\d+)?|-?\.\d+/g;
  let last: string | null = null;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) last = m[0];
  return last;
}

export function extractAnswer(text: string, fallbackLastNumber: boolean): Extraction {
  const boxes = findBoxes(text);
  if (boxes.length > 0) {
    const distinct = new Set(boxes.map((b) => b.replace(/\s+/g, '')));
    return { answer: boxes[boxes.length - 1]!.trim(), source: 'boxed', multipleBoxes: distinct.size > 1 };
  }
  const phrase = findPhrase(text);
  if (phrase !== null) return { answer: phrase, source: 'phrase', multipleBoxes: false };
  if (fallbackLastNumber) {
    const n = lastNumber(text);
    if (n !== null) return { answer: n, source: 'last-number', multipleBoxes: false };
  }
  return { answer: null, source: 'none', multipleBoxes: false };
}
