// verifyMath against our own suite of real-style gold/prediction pairs whose verdicts are those of
// Hugging Face Math-Verify, written from its documented behaviour and its tests' spirit
// (test/rewards/fixtures/math_verify_cases.jsonl, written by gen_math_verify_cases.mjs beside it; a
// gold is an answer as a dataset stores it, and Math-Verify's verdict is the one with a bare gold
// read as LaTeX), plus the adversarial category built here (100k-character inputs, deep nesting,
// pathological repeats: megabytes of repetition, so not stored) which only has to return false.
// Every case must agree, except the ids listed in DELIBERATE_DIFFERENCES with the reason we part
// ways with Math-Verify there. The run prints the agreement per category and the time per call
// (p50/p99 µs; printed, not asserted: timing is a benchmark's business).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { verifyMath, type MathVerdict } from '../../src/rewards/math.js';

export const CATEGORIES = [
  'boxed',
  'unboxed-latex',
  'phrase',
  'numbers',
  'percent-units-text',
  'multiple-boxes',
  'tuples-sets-lists',
  'intervals-inequalities',
  'relations-equations',
  'matrices',
  'symbolic',
  'false-matches',
  'adversarial',
] as const;
type Category = (typeof CATEGORIES)[number];

interface Case {
  id: string;
  category: Category;
  gold: string;
  pred: string;
  expected: boolean;
  note: string;
}

/**
 * Cases where we deliberately disagree with Math-Verify: id → why. Keep this empty unless a
 * Math-Verify verdict is clearly wrong for our purposes (each entry must still disagree, so a
 * stale entry fails the suite).
 */
export const DELIBERATE_DIFFERENCES: Readonly<Record<string, string>> = {};

const FIXTURE = fileURLToPath(new URL('../../../test/rewards/fixtures/math_verify_cases.jsonl', import.meta.url));

function loadCases(): Case[] {
  const text = readFileSync(FIXTURE, 'utf8');
  const out: Case[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const c = JSON.parse(line) as Case;
    const where = `${FIXTURE}:${i + 1}`;
    assert.equal(typeof c.id, 'string', `${where}: id`);
    assert.ok((CATEGORIES as readonly string[]).includes(c.category), `${where}: unknown category ${c.category}`);
    assert.ok(c.id.startsWith(`${c.category}-`), `${where}: id ${c.id} does not start with its category`);
    assert.equal(typeof c.gold, 'string', `${where}: gold`);
    assert.equal(typeof c.pred, 'string', `${where}: pred`);
    assert.equal(typeof c.expected, 'boolean', `${where}: expected`);
    assert.equal(typeof c.note, 'string', `${where}: note`);
    out.push(c);
  });
  return out;
}

/** The adversarial cases: every one expects false (no correct answer is present). */
function adversarialCases(): Case[] {
  const K = 1000;
  const filler = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. ';
  const fill = (n: number): string => filler.repeat(Math.ceil(n / filler.length)).slice(0, n);
  const LEADS = [
    'We start by writing down what is given.',
    'Let $S$ denote the quantity we want.',
    'First, note that $a + b = 10$ and $ab = 21$.',
    'Consider the cases separately.',
    'Using the identity, we finish.',
  ];
  const boxed = (x: string, i: number): string => {
    const lead = LEADS[i % LEADS.length]!;
    const b = `\\boxed{${x}}`;
    return [
      `${lead} Putting everything together, we get $${b}$.`,
      `${lead}\n\nTherefore, the result is \\(${b}\\).`,
      `${lead}\n\\[\n${b}\n\\]`,
      `<think>\n${lead}\n</think>\n\nSo the value we are looking for is $${b}$.`,
      `${lead} That settles it.\n\n**Final Answer**\n\n${b}`,
    ][i % 5]!;
  };
  const rows: [string, string, string][] = [
    ['1', fill(100 * K), '100k characters of prose, no answer'],
    ['7', fill(100 * K) + ' So the result is $\\boxed{8}$.', '100k of prose, then a wrong box'],
    ['7', '$\\boxed{8}$ ' + fill(100 * K), 'wrong box, then 100k of prose'],
    ['1', '\\boxed{'.repeat(6 * K), '6k unclosed boxes'],
    ['2', '\\boxed{' + '{'.repeat(50 * K) + '1' + '}'.repeat(50 * K) + '}', '50k nested braces around 1 in a box'],
    ['1', '{'.repeat(100 * K), '100k open braces'],
    ['1', '}'.repeat(30 * K), '30k close braces'],
    ['1', '$'.repeat(30 * K), '30k dollar signs'],
    ['1', '\\'.repeat(15 * K), '15k backslashes'],
    ['9', '9'.repeat(100 * K), 'a 100k-digit number'],
    ['2', '1, '.repeat(10 * K) + '1', '10k ones in a list'],
    ['3', boxed('('.repeat(20 * K) + '1' + ')'.repeat(20 * K), 0), '20k nested parentheses around 1'],
    ['2', boxed('\\sqrt{'.repeat(3 * K) + '2' + '}'.repeat(3 * K), 1), '3k nested square roots of 2'],
    ['4', boxed('2^{'.repeat(300) + '2' + '}'.repeat(300), 2), 'power tower of height 300'],
    ['1', boxed('9^{9^{9^{9}}}', 3), 'power tower of nines'],
    ['1', boxed('100000!', 4), 'huge factorial'],
    ['1', boxed('2^{100000}', 0), 'huge power'],
    ['x', boxed('(x+y+z)^{200}', 1), 'huge polynomial expansion'],
    ['1', boxed('\\frac{1}{'.repeat(3 * K) + '2' + '}'.repeat(3 * K), 2), '3k nested fractions'],
    ['1', '\\left('.repeat(4 * K), '4k unmatched \\left('],
    ['1', 'The answer is '.repeat(3 * K), 'answer phrase repeated 3k times'],
    ['1', 'Final Answer: The final answer is '.repeat(1500), 'final-answer phrase repeated 1.5k times'],
    ['1', boxed('\\begin{pmatrix}' + '1 & '.repeat(8 * K) + '1 \\end{pmatrix}', 3), 'a one-row matrix with 8k entries'],
    ['1', '\\begin{pmatrix}'.repeat(2 * K), '2k unclosed matrix environments'],
    ['x', boxed('x'.repeat(25 * K), 4), 'a product of 25k x'],
    ['1', boxed('1+'.repeat(15 * K) + '1', 0), 'a sum of 15k ones'],
    ['8', '\\boxed{'.repeat(5 * K) + '7' + '}'.repeat(5 * K), '5k nested boxes around 7'],
    ['2', '\\text{'.repeat(5 * K) + '1' + '}'.repeat(5 * K - 1), '5k nested \\text around 1, one brace short'],
    ['1', '∑∫√π'.repeat(3 * K), '12k unicode math symbols'],
    ['1', '$x$ and '.repeat(5 * K), '5k joined inline variables'],
    ['1', '\\[ '.repeat(10 * K), '10k unclosed display math openers'],
    ['2', '$\\boxed{1}$, '.repeat(3 * K) + '$\\boxed{1}$', '3k comma-joined boxes of 1'],
    ['1', boxed('x_{'.repeat(3 * K) + '1' + '}'.repeat(3 * K), 1), '3k nested subscripts'],
    ['1', '(((((((((((((((((((((((((((((((((((((((((((((((((('.repeat(2 * K) + ' \\boxed{2}', '100k open parentheses then a wrong box'],
    [
      '3',
      'The answer is 1 000 000 000 000 000 000 000 000 000 000 000 000 000 000 000' + ' 000'.repeat(8 * K),
      'endless space-grouped number',
    ],
    ['2', '1/'.repeat(15 * K) + '1', '15k chained divisions of ones'],
    ['0', '\\boxed{}'.repeat(4 * K), '4k empty boxes'],
    ['1', '\\frac'.repeat(8 * K), '8k dangling \\frac commands'],
  ];
  return rows.map(([gold, pred, note], i) => ({
    id: `adversarial-${String(i + 1).padStart(3, '0')}`,
    category: 'adversarial' as const,
    gold,
    pred,
    expected: false,
    note,
  }));
}

const CASES = [...loadCases(), ...adversarialCases()];

const show = (s: string, n = 120): string => {
  const one = JSON.stringify(s);
  return one.length <= n ? one : `${one.slice(0, n / 2)}…(${s.length} chars)…${one.slice(-n / 2)}`;
};

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

test('math-verify suite: the fixture is well formed and balanced', () => {
  assert.ok(CASES.length >= 600, `${CASES.length} cases, want ≥ 600`);
  const ids = new Set<string>();
  for (const c of CASES) {
    assert.ok(!ids.has(c.id), `duplicate id ${c.id}`);
    ids.add(c.id);
  }
  for (const cat of CATEGORIES) {
    const n = CASES.filter((c) => c.category === cat).length;
    assert.ok(n >= 30, `category ${cat} has ${n} cases, want ≥ 30`);
  }
  for (const c of CASES.filter((x) => x.category === 'adversarial')) assert.equal(c.expected, false, `${c.id} must expect false`);
  const falseShare = CASES.filter((c) => !c.expected).length / CASES.length;
  assert.ok(falseShare >= 0.3 && falseShare <= 0.5, `share of expected-false cases ${falseShare.toFixed(2)}`);
  for (const [id, why] of Object.entries(DELIBERATE_DIFFERENCES)) {
    assert.ok(ids.has(id), `DELIBERATE_DIFFERENCES names unknown id ${id}`);
    assert.ok(why.trim().length > 0, `DELIBERATE_DIFFERENCES[${id}] needs a reason`);
  }
});

test(`math-verify suite: verifyMath agrees with Math-Verify (${CASES.length} cases)`, { timeout: 10 * 60_000 }, () => {
  interface Row {
    n: number;
    agree: number;
    falsePos: number;
    falseNeg: number;
    us: number[];
  }
  const rows = new Map<Category, Row>(CATEGORIES.map((c) => [c, { n: 0, agree: 0, falsePos: 0, falseNeg: 0, us: [] }]));
  const allUs: number[] = [];
  const slowest: { id: string; us: number }[] = [];
  const failures: string[] = [];
  const staleDeliberate: string[] = [];

  for (const c of CASES) {
    const row = rows.get(c.category)!;
    let verdict: MathVerdict | null = null;
    let error: string | null = null;
    const t0 = performance.now();
    try {
      verdict = verifyMath(c.pred, c.gold);
    } catch (e) {
      error = (e as Error).message;
    }
    const us = (performance.now() - t0) * 1000;
    row.us.push(us);
    allUs.push(us);
    slowest.push({ id: c.id, us });

    const got = verdict?.correct ?? null;
    const agrees = got === c.expected;
    row.n++;
    if (agrees) row.agree++;
    else if (got === true) row.falsePos++;
    else row.falseNeg++;

    const deliberate = Object.hasOwn(DELIBERATE_DIFFERENCES, c.id);
    if (deliberate && agrees) staleDeliberate.push(c.id);
    if (!agrees && !deliberate) {
      const detail =
        error !== null
          ? `threw ${error}`
          : `got ${String(got)}, extracted ${show(verdict!.extracted ?? 'null', 60)}, reason ${JSON.stringify(verdict!.reason)}`;
      failures.push(`${c.id} (${c.note}): expected ${c.expected}; ${detail}; gold ${show(c.gold, 60)}; pred ${show(c.pred)}`);
    }
  }

  // ── report
  const pad = (s: string | number, w: number): string => String(s).padStart(w);
  const lines = [
    `${'category'.padEnd(24)}${pad('cases', 6)}${pad('agree', 7)}${pad('%', 7)}${pad('FP', 5)}${pad('FN', 5)}${pad('p50µs', 9)}${pad('p99µs', 10)}`,
  ];
  let total = 0;
  let agreeTotal = 0;
  for (const [cat, r] of rows) {
    const us = [...r.us].sort((a, b) => a - b);
    total += r.n;
    agreeTotal += r.agree;
    lines.push(
      `${cat.padEnd(24)}${pad(r.n, 6)}${pad(r.agree, 7)}${pad(((100 * r.agree) / Math.max(1, r.n)).toFixed(1), 7)}` +
        `${pad(r.falsePos, 5)}${pad(r.falseNeg, 5)}${pad(quantile(us, 0.5).toFixed(0), 9)}${pad(quantile(us, 0.99).toFixed(0), 10)}`,
    );
  }
  const sortedAll = [...allUs].sort((a, b) => a - b);
  lines.push(
    `${'all'.padEnd(24)}${pad(total, 6)}${pad(agreeTotal, 7)}${pad(((100 * agreeTotal) / Math.max(1, total)).toFixed(1), 7)}` +
      `${pad('', 10)}${pad(quantile(sortedAll, 0.5).toFixed(0), 9)}${pad(quantile(sortedAll, 0.99).toFixed(0), 10)}`,
  );
  slowest.sort((a, b) => b.us - a.us);
  lines.push(
    `slowest calls: ${slowest
      .slice(0, 5)
      .map((s) => `${s.id} ${(s.us / 1000).toFixed(1)} ms`)
      .join(', ')}`,
  );
  lines.push(`whole suite: ${(allUs.reduce((a, b) => a + b, 0) / 1e6).toFixed(2)} s in verifyMath`);
  console.log(`\nverifyMath vs Math-Verify (FP: we accept, Math-Verify rejects; FN: the reverse)\n${lines.join('\n')}\n`);

  assert.deepEqual(staleDeliberate, [], `DELIBERATE_DIFFERENCES entries that now agree with Math-Verify: ${staleDeliberate.join(', ')}`);
  assert.equal(failures.length, 0, `${failures.length} of ${CASES.length} cases disagree with Math-Verify:\n${failures.join('\n')}`);
});
