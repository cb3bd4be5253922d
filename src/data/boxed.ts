// The one reader of \boxed{…} answers for the whole tree (the math reward's extraction, the built-in
// task's grading, the judge's and the preference data's checks all call it).
// A box is `\boxed{…}` or `\fbox{…}` with balanced braces (escaped \{ \} do not count), or `\boxed 5`
// (one token, TeX's undelimited argument). An opener whose braces never close is not a box: the
// text reads on, so "\boxed{3} … \boxed{4" gives the box 3 (as Math-Verify's extraction does).
// `\boxedfoo` is another command; \boxed{\boxed{5}} is 5. Linear time in the text, whatever its nesting (brace pairs are
// matched in one pass with a stack), so a megabyte of openers returns in milliseconds.

export interface Box {
  /** The text between the braces (or the undelimited token). */
  content: string;
  /** Index of the backslash of \boxed / \fbox. */
  start: number;
  /** Index just past the closing brace. */
  end: number;
}

const COMMANDS = ['\\boxed', '\\fbox'];

/** For every '{' of `text` the index of its matching '}' (or -1); escaped braces are skipped. */
export function matchBraces(text: string): Int32Array {
  const close = new Int32Array(text.length).fill(-1);
  const stack: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) {
      i++;
      continue;
    }
    if (c === 123 /* { */) stack.push(i);
    else if (c === 125 /* } */ && stack.length > 0) close[stack.pop()!] = i;
  }
  return close;
}

/** The brace group opening at `open` (text[open] === '{'), or null when it never closes. */
export function braceGroup(text: string, open: number, close: Int32Array = matchBraces(text)): { content: string; end: number } | null {
  const j = close[open] ?? -1;
  return j < 0 ? null : { content: text.slice(open + 1, j), end: j + 1 };
}

/** The content of the brace group {…} at [open, close]; a box that is the whole content is
 *  unwrapped (\boxed{\boxed{5}} is 5), in constant work per level. */
function unwrap(text: string, open: number, closeAt: number, close: Int32Array): string {
  for (;;) {
    let p = open + 1;
    while (p < closeAt && /\s/.test(text[p]!)) p++;
    const cmd = COMMANDS.find((c) => text.startsWith(c, p));
    if (!cmd) break;
    let q = p + cmd.length;
    while (text[q] === ' ') q++;
    if (text[q] !== '{' || close[q]! < 0) break;
    let r = close[q]! + 1;
    while (r < closeAt && /\s/.test(text[r]!)) r++;
    if (r !== closeAt) break;
    open = q;
    closeAt = close[q]!;
  }
  return text.slice(open + 1, closeAt);
}

/** Every outermost box of `text`, in order (a box inside a box's content is part of that content,
 *  except a box that is the whole content, which is unwrapped). */
export function findBoxes(text: string): Box[] {
  const out: Box[] = [];
  let close: Int32Array | null = null;
  let i = 0;
  while (i < text.length) {
    let at = -1;
    let len = 0;
    for (const cmd of COMMANDS) {
      const j = text.indexOf(cmd, i);
      if (j >= 0 && (at < 0 || j < at)) {
        at = j;
        len = cmd.length;
      }
    }
    if (at < 0) break;
    let k = at + len;
    if (k < text.length && /[A-Za-z]/.test(text[k]!)) {
      i = k;
      continue;
    } // \boxedfoo
    while (text[k] === ' ' || text[k] === '\t') k++;
    if (text[k] === '{') {
      close ??= matchBraces(text);
      const j = close[k]!;
      if (j >= 0) {
        out.push({ content: unwrap(text, k, j, close), start: at, end: j + 1 });
        i = j + 1;
        continue;
      }
      i = k + 1;
      continue;
    }
    // \boxed 5: one token after at least one space
    const m = k > at + len ? /^[^\s$}{\\]+/.exec(text.slice(k, k + 200)) : null;
    if (m) {
      out.push({ content: m[0], start: at, end: k + m[0].length });
      i = k + m[0].length;
      continue;
    }
    i = k;
  }
  return out;
}

/** The content of the last box of `text`, or null when it has none. */
export function lastBoxed(text: string): string | null {
  const boxes = findBoxes(text);
  return boxes.length > 0 ? boxes[boxes.length - 1]!.content : null;
}
