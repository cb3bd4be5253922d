// verifyMath: a table of [completion, gold, expected, note] cases, each rule and each known
// false-positive trap, plus the adversarial inputs (1 MB string, deep nesting) that must return fast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyMath, type VerifyMathOptions } from '../../src/rewards/math.js';

type Case = [completion: string, gold: string | number, expected: boolean, note: string];

const B = (s: string): string => `The work is done. So the answer is \\boxed{${s}}.`;

const CASES: Case[] = [
  // ── integers
  [B('42'), '42', true, 'int'],
  [B('42'), 42, true, 'int vs number gold'],
  [B('43'), '42', false, 'int mismatch'],
  [B('-7'), '-7', true, 'negative'],
  [B('-7'), '7', false, 'sign matters'],
  [B('7'), '-7', false, 'sign matters 2'],
  [B('0'), '0', true, 'zero'],
  [B('-0'), '0', true, 'minus zero'],
  [B('+5'), '5', true, 'plus sign'],
  [B('007'), '7', true, 'leading zeros'],
  [B('12'), '1/2', false, 'trap 12 vs 1/2'],
  [B('1/2'), '12', false, 'trap 1/2 vs 12'],
  [B('123456789012345678901234567890'), '123456789012345678901234567890', true, 'big int'],
  [B('123456789012345678901234567891'), '123456789012345678901234567890', false, 'big int off by one'],
  [B('1000001'), '1000000', false, 'ints compare exactly'],
  [B('9007199254740993'), '9007199254740992', false, 'beyond 2^53'],
  [B('100'), '100.0', true, 'int vs decimal'],
  [B('100.00'), '100', true, 'trailing zeros'],
  // ── decimals
  [B('3.14'), '3.14', true, 'decimal'],
  [B('3.14'), '3.15', false, 'decimal mismatch'],
  [B('0.5'), '.5', true, 'leading dot'],
  [B('-0.25'), '-1/4', true, 'negative decimal vs fraction'],
  [B('0.333'), '1/3', false, '0.333 vs 1/3 default tol'],
  [B('0.3333333333'), '1/3', true, 'long decimal vs 1/3'],
  [B('2.5'), '5/2', true, 'decimal vs slash fraction'],
  [B('2.50'), '\\frac{5}{2}', true, 'decimal vs frac'],
  [B('1.0000001'), '1', true, 'within 1e-6'],
  [B('1.00001'), '1', false, 'outside 1e-6'],
  // ── fractions
  [B('\\frac{1}{2}'), '0.5', true, 'frac'],
  [B('\\dfrac{1}{2}'), '1/2', true, 'dfrac'],
  [B('\\tfrac{1}{2}'), '\\frac{1}{2}', true, 'tfrac'],
  [B('\\frac12'), '1/2', true, 'frac shorthand'],
  [B('\\frac{2}{4}'), '1/2', true, 'unreduced'],
  [B('-\\frac{3}{4}'), '-0.75', true, 'negative frac'],
  [B('\\frac{-3}{4}'), '-3/4', true, 'negative numerator'],
  [B('\\frac{3}{4}'), '-3/4', false, 'frac sign'],
  [B('\\frac{3}{4}'), '4/3', false, 'frac inverted'],
  [B('3/4'), '0.75', true, 'slash'],
  [B('\\frac{1}{0}'), '1', false, 'division by zero'],
  [B('\\frac{22}{7}'), '\\pi', false, '22/7 is not pi'],
  [B('\\frac{\\sqrt{3}}{2}'), '\\frac{\\sqrt3}{2}', true, 'sqrt shorthand in frac'],
  // ── mixed numbers
  [B('2 1/2'), '2.5', true, 'mixed'],
  [B('2\\frac{1}{2}'), '5/2', true, 'mixed tex'],
  [B('2 \\frac{1}{2}'), '\\frac{5}{2}', true, 'mixed tex spaced'],
  [B('-1 1/2'), '-1.5', true, 'negative mixed'],
  [B('2\\frac{1}{2}'), '1', false, 'mixed is not product'],
  [B('3 1/4'), '3.5', false, 'mixed mismatch'],
  // ── percentages
  [B('50\\%'), '50%', true, 'percent vs percent'],
  [B('50%'), '50', true, 'percent vs plain'],
  [B('50\\%'), '0.5', true, 'percent vs fraction'],
  [B('0.5'), '50%', true, 'fraction vs gold percent'],
  [B('50'), '50\\%', true, 'plain vs gold percent'],
  [B('50'), '0.5', false, 'no percent anywhere'],
  [B('0.5'), '50', false, 'no percent anywhere 2'],
  [B('25%'), '50%', false, 'percent mismatch'],
  [B('12.5\\%'), '0.125', true, 'decimal percent'],
  [B('50 percent'), '50', true, 'percent word'],
  // ── scientific notation
  [B('1e3'), '1000', true, 'e notation'],
  [B('1E3'), '1000', true, 'E notation'],
  [B('1 \\times 10^{3}'), '1000', true, 'times 10^'],
  [B('1.5 \\times 10^3'), '1500', true, 'times 10^ no braces'],
  [B('2.5\\cdot 10^{-2}'), '0.025', true, 'cdot negative exponent'],
  [B('6.02 \\times 10^{23}'), '6.02e23', true, 'avogadro'],
  [B('6.02 \\times 10^{23}'), '6.03e23', false, 'avogadro mismatch'],
  [B('1e-3'), '0.001', true, 'small'],
  [B('1e3'), '100', false, 'sci mismatch'],
  // ── thousands separators
  [B('1,000'), '1000', true, 'comma thousands'],
  [B('1{,}000'), '1000', true, 'tex comma thousands'],
  [B('1\\,000'), '1000', true, 'thin space thousands'],
  [B('12,345,678'), '12345678', true, 'many groups'],
  [B('1,234.5'), '1234.5', true, 'thousands with decimals'],
  [B('1,000'), '1', false, 'thousands not a list'],
  [B('1,000,000'), '1000000', true, 'million'],
  [B('1,000,000'), '100000', false, 'million mismatch'],
  [B('\\$1,000'), '1000', true, 'dollar thousands'],
  // ── latex cleanup
  [B('\\left( 3 \\right)'), '3', true, 'left right'],
  [B('3\\!'), '3', true, 'negative space'],
  [B('\\displaystyle 3'), '3', true, 'displaystyle'],
  [B('$3$'), '3', true, 'dollars inside box'],
  ['The answer is $\\frac{1}{2}$.', '1/2', true, 'dollar phrase'],
  [B('\\text{5}'), '5', true, 'text number'],
  [B('{5}'), '5', true, 'braced'],
  [B('\\mathbf{5}'), '5', true, 'mathbf'],
  [B(' 5 '), '5', true, 'spaces'],
  [B('5.'), '5', true, 'trailing period'],
  [B('90^\\circ'), '90', true, 'degrees'],
  [B('90^{\\circ}'), '90', true, 'degrees braced'],
  [B('90°'), '90', true, 'degree sign'],
  [B('−3'), '-3', true, 'unicode minus'],
  // ── units
  [B('5 \\text{ cm}'), '5', true, 'text unit'],
  [B('5\\text{cm}'), '5', true, 'text unit tight'],
  [B('5 \\text{ cm}^2'), '5', true, 'text unit squared'],
  [B('5 \\mathrm{kg}'), '5', true, 'mathrm unit'],
  ['So she has 5 dollars left. The answer is 5 dollars', '5', true, 'dollars word'],
  [B('5 cm'), '5', true, 'bare unit'],
  [B('12 square feet'), '12', true, 'two unit words'],
  [B('5 \\text{ cm}'), '6', false, 'unit mismatch number'],
  [B('\\$ 20'), '20', true, 'dollar sign'],
  [B('20 apples'), '20', true, 'count noun'],
  [B('7 hours'), '7', true, 'hours'],
  [B('3 km/h'), '3', true, 'km/h'],
  // ── sqrt, pi, powers
  [B('\\sqrt{2}'), '\\sqrt{2}', true, 'sqrt same'],
  [B('\\sqrt{2}'), '1.41421356', true, 'sqrt numeric'],
  [B('\\sqrt{2}'), '1.41', false, 'sqrt coarse'],
  [B('\\sqrt{8}'), '2\\sqrt{2}', true, 'sqrt simplify'],
  [B('\\sqrt{4}'), '2', true, 'sqrt perfect'],
  [B('\\sqrt{3}'), '\\sqrt{2}', false, 'sqrt mismatch'],
  [B('\\frac{\\sqrt{2}}{2}'), '\\frac{1}{\\sqrt{2}}', true, 'rationalized'],
  [B('\\pi'), '3.14159265358979', true, 'pi numeric'],
  [B('2\\pi'), '\\pi', false, '2pi vs pi'],
  [B('\\frac{\\pi}{4}'), '\\pi/4', true, 'pi over 4'],
  [B('\\frac{\\pi}{3}'), '\\frac{\\pi}{4}', false, 'pi fractions'],
  [B('2^{10}'), '1024', true, 'power'],
  [B('2^10'), '1024', true, 'power no braces'],
  [B('3^4'), '81', true, 'power 2'],
  [B('3^4'), '64', false, 'power mismatch'],
  [B('10^{-2}'), '0.01', true, 'negative power'],
  [B('\\sqrt[3]{27}'), '3', true, 'cube root'],
  [B('4\\sqrt{3}'), '\\sqrt{48}', true, 'sqrt 48'],
  [B('\\sqrt{-1}'), '1', false, 'imaginary'],
  [B('π'), '\\pi', true, 'unicode pi'],
  [B('√2'), '\\sqrt{2}', true, 'unicode sqrt'],
  [B('sqrt(2)'), '\\sqrt{2}', true, 'plain sqrt'],
  [B('2*pi'), '2\\pi', true, 'plain pi'],
  [B('\\frac{1}{2}\\pi'), '\\frac{\\pi}{2}', true, 'coefficient pi'],
  [B('e^{2}'), 'e^2', true, 'e power'],
  [B('\\ln(e^3)'), '3', true, 'ln'],
  [B('\\log_2 8'), '3', true, 'log base 2'],
  [B('\\sin(\\pi/6)'), '1/2', true, 'sin'],
  [B('\\cos(0)'), '1', true, 'cos'],
  // ── equations
  [B('x = 3'), '3', true, 'x = 3 vs 3'],
  [B('3'), 'x = 3', true, '3 vs x = 3'],
  [B('x=3'), 'x = 3', true, 'both equations'],
  [B('x = 4'), '3', false, 'equation mismatch'],
  [B('y = 2x + 1'), '2x+1', true, 'line'],
  [B('a = -2'), '-2', true, 'other variable'],
  [B('x_1 = 5'), '5', true, 'subscript variable'],
  [B('\\theta = \\frac{\\pi}{2}'), '\\frac{\\pi}{2}', true, 'greek variable'],
  [B('x^2+y^2=1'), 'x^2 + y^2 = 1', true, 'implicit equation same'],
  [B('x^2+y^2=4'), 'x^2 + y^2 = 1', false, 'implicit equation different'],
  [B('x = 1, 2'), '1, 2', true, 'solutions list'],
  [B('x = 1 \\text{ or } x = 2'), '2, 1', true, 'or solutions'],
  [B('x=1 or x=2'), '1,2', true, 'plain or'],
  [B('x = 1, x = 3'), '1, 2', false, 'solutions mismatch'],
  // ── tuples
  [B('(1, 2)'), '(1,2)', true, 'tuple'],
  [B('(1,2)'), '(2,1)', false, 'tuple order matters'],
  [B('(1, 2, 3)'), '(1, 2)', false, 'tuple length'],
  [B('(\\frac{1}{2}, 3)'), '(0.5, 3)', true, 'tuple with frac'],
  [B('(-1, -2)'), '(-1,-2)', true, 'negative tuple'],
  [B('(-1, 2)'), '(1,2)', false, 'tuple sign'],
  [B('\\left(1, 2\\right)'), '(1,2)', true, 'tuple left right'],
  [B('(x, y) = (1, 2)'), '(1,2)', true, 'a tuple of names on the left is stripped (Math-Verify: (p,q)=(3,2) is (3,2))'],
  [B('(1, 2)'), '\\{1, 2\\}', false, 'tuple vs set'],
  [B('(0, 0)'), '(0,0)', true, 'origin'],
  [B('(\\sqrt{2}, \\pi)'), '(1.41421356237, 3.14159265359)', true, 'tuple irrational'],
  // ── sets
  [B('\\{1, 2\\}'), '\\{2, 1\\}', true, 'set order ignored'],
  [B('\\{1, 2\\}'), '\\{1, 3\\}', false, 'set mismatch'],
  [B('\\{1, 2, 3\\}'), '\\{1, 2\\}', false, 'set size'],
  [B('\\{3\\}'), '3', true, 'singleton'],
  [B('\\{-1, \\frac{1}{2}\\}'), '\\{0.5, -1\\}', true, 'set fractions'],
  [B('\\left\\{ 1, 2 \\right\\}'), '\\{1,2\\}', true, 'set left right'],
  [B('\\lbrace 1, 2 \\rbrace'), '\\{1,2\\}', true, 'lbrace'],
  [B('2, 1'), '1, 2', true, 'bare list unordered'],
  [B('1, 2, 2'), '1, 2', false, 'multiset'],
  [B('\\{\\}'), '\\{1\\}', false, 'empty set'],
  // ── intervals
  [B('[1, 3)'), '[1,3)', true, 'half open'],
  [B('[1, 3)'), '[1,3]', false, 'trap open vs closed end'],
  [B('(1, 3]'), '[1,3]', false, 'open start'],
  [B('[1,3]'), '[1, 3]', true, 'closed'],
  [B('(-\\infty, 5]'), '(-\\infty, 5]', true, 'infinity'],
  [B('(-\\infty, 5)'), '(-\\infty, 5]', false, 'infinity end'],
  [B('(-∞, 5]'), '(-\\infty,5]', true, 'unicode infinity'],
  [B('[0, \\infty)'), '[0,\\infty)', true, 'to infinity'],
  [B('(1, 3) \\cup (4, 5)'), '(4,5) \\cup (1,3)', true, 'union any order'],
  [B('(1, 3) \\cup (4, 5]'), '(1,3) \\cup (4,5)', false, 'union end'],
  [B('(1,3)∪(4,5)'), '(1, 3) \\cup (4, 5)', true, 'unicode cup'],
  [B('\\lbrack 1, 2 \\rbrack'), '[1,2]', true, 'lbrack'],
  [B('[\\frac{1}{2}, 2)'), '[0.5, 2)', true, 'interval frac'],
  // ── inequalities
  [B('x \\le 5'), 'x \\leq 5', true, 'le vs leq'],
  [B('x \\le 5'), 'x \\ge 5', false, 'trap le vs ge'],
  [B('x ≤ 5'), 'x ≥ 5', false, 'trap unicode'],
  [B('x ≤ 5'), 'x \\le 5', true, 'unicode le'],
  [B('x < 5'), 'x \\le 5', false, 'strict vs non-strict'],
  [B('5 \\ge x'), 'x \\le 5', true, 'flipped'],
  [B('5 > x'), 'x < 5', true, 'flipped strict'],
  [B('x > 5'), 'x < 5', false, 'gt vs lt'],
  [B('1 < x < 3'), '1<x<3', true, 'chain'],
  [B('1 < x \\le 3'), '1<x<3', false, 'chain end'],
  [B('3 > x > 1'), '1 < x < 3', true, 'chain flipped'],
  [B('x \\geq -2'), 'x \\ge -2', true, 'geq'],
  [B('x \\geq 2'), 'x \\ge -2', false, 'geq sign'],
  [B('x \\neq 0'), 'x \\ne 0', true, 'neq'],
  [B('x <= 5'), 'x \\le 5', true, 'ascii le'],
  [B('x \\le \\frac{1}{2}'), 'x \\le 0.5', true, 'relation numeric side'],
  [B('x \\le 5'), '5', false, 'relation vs number'],
  // ── algebraic expressions
  [B('(x+1)^2'), 'x^2+2x+1', true, 'expand'],
  [B('x^2-1'), '(x-1)(x+1)', true, 'factor'],
  [B('x^2+1'), '(x-1)(x+1)', false, 'factor mismatch'],
  [B('2x'), 'x+x', true, 'implicit mult'],
  [B('2x'), '2y', false, 'different variable'],
  [B('\\frac{x^2-1}{x-1}'), 'x+1', true, 'rational simplify'],
  [B('\\frac{1}{x}+\\frac{1}{y}'), '\\frac{x+y}{xy}', true, 'two variables'],
  [B('\\sin^2 x + \\cos^2 x'), '1', true, 'trig identity'],
  [B('\\sqrt{x^2}'), 'x', true, 'sqrt on positive samples'],
  [B('3x^2'), '3x^3', false, 'power mismatch'],
  [B('a+b'), 'b+a', true, 'commutative'],
  [B('a-b'), 'b-a', false, 'anti-commutative'],
  [B('\\frac{n(n+1)}{2}'), '\\frac{n^2+n}{2}', true, 'sum formula'],
  [B('2^{n+1}'), '2 \\cdot 2^n', true, 'exponent rule'],
  [B('\\ln(xy)'), '\\ln x + \\ln y', true, 'log rule'],
  [B('e^{x}e^{y}'), 'e^{x+y}', true, 'exp rule'],
  [B('x^3'), 'x^2', false, 'powers differ'],
  [B('k+1'), 'k-1', false, 'sign inside'],
  [B('\\frac{a}{b}'), '\\frac{b}{a}', false, 'inverse'],
  [B('4\\pi r^2'), '4 \\pi r^2', true, 'area formula'],
  // ── extraction
  ['\\boxed{1} then \\boxed{2}', '2', true, 'several boxes: last wins'],
  ['\\boxed{1} then \\boxed{2}', '1', false, 'several boxes: first ignored'],
  ['\\boxed{7} and again \\boxed{7}', '7', true, 'same box twice'],
  ['\\fbox{9}', '9', true, 'fbox'],
  ['\\boxed{}', '0', false, 'empty box'],
  ['\\boxed{ }', '', false, 'blank box and gold'],
  ['\\boxed{\\frac{1}{2}}', '1/2', true, 'nested braces'],
  ['\\boxed{\\frac{\\sqrt{3}}{\\sqrt{4}}}', '\\frac{\\sqrt3}{2}', true, 'nested braces 2'],
  ['\\boxed 5', '5', true, 'boxed without braces'],
  ['\\boxed{3} \\boxed{4', '3', true, 'unclosed last box ignored'],
  ['Final answer is 12.', '12', true, 'final answer is'],
  ['The final answer is $\\boxed{12}$. I hope', '12', true, 'boxed in dollars'],
  ['Answer: 17', '17', true, 'Answer colon'],
  ['answer: -3.5', '-3.5', true, 'lowercase answer'],
  ['Therefore, the answer is 2.5.', '2.5', true, 'answer is with decimal and period'],
  ['The answer is 10. Then we checked 7 more cases.', '10', true, 'answer phrase beats the last number'],
  [
    'The answer is 10. Let me double check 3+4=7.',
    '7',
    true,
    '"answer … = X" reads after the last "=" within 100 characters (as Math-Verify does)',
  ],
  ['Final Answer: $\\frac{3}{4}$', '0.75', true, 'Final Answer colon dollars'],
  ['**Answer:** 8', '8', true, 'markdown bold'],
  ['First answer is 3. Actually the answer is 4', '4', true, 'last phrase wins'],
  ['We get 3 apples and then 5 apples so 8', '8', true, 'last number fallback'],
  ['We get 3 apples and then 5 apples so 8', '5', false, 'last number only'],
  ['There are 1,234 of them', '1234', true, 'last number thousands'],
  ['It was -4 degrees', '-4', true, 'last negative number'],
  ['about 2.75 on average', '2.75', true, 'last decimal'],
  ['no numbers here', '1', false, 'nothing found'],
  ['', '1', false, 'empty completion'],
  ['\\boxed{5} but the answer is 6', '5', true, 'box beats phrase'],
  ['Answer: \\boxed{3}', '3', true, 'box inside phrase'],
  ['\\boxed{\\text{(B)}}', '\\text{(B)}', true, 'choice letter text'],
  ['\\boxed{B}', 'B', true, 'choice letter'],
  ['\\boxed{B}', 'C', false, 'choice mismatch'],
  ['\\boxed{\\text{yes}}', 'yes', true, 'word answer'],
  ['\\boxed{\\text{Yes}}', 'no', false, 'word mismatch'],
  ['\\boxedfoo{3} 4', '4', true, 'not a box command'],
  // ── false-positive traps
  [B('12'), '1.2', false, 'dot trap'],
  [B('21'), '12', false, 'digit order'],
  [B('1/2'), '2/1', false, 'fraction order'],
  [B('-1/2'), '1/2', false, 'fraction sign'],
  [B('0'), '0.000001', false, 'zero vs tiny'],
  [B('1000'), '1,001', false, 'thousands trap'],
  [B('x'), 'y', false, 'variables'],
  [B('10'), '100', false, 'order of magnitude'],
  [B('\\infty'), '1000000', false, 'infinity'],
  [B('3.0'), '3.01', false, 'close decimals'],
  [B('2'), '\\sqrt{2}', false, 'sqrt trap'],
  [B('2^3'), '3^2', false, 'power order'],
  [B('5!'), '120', true, 'small factorial'],
  [B('5!'), '100', false, 'small factorial mismatch'],
  [B('5m'), '5', false, 'one-letter unit needs a space (5m may be 5·m)'],
  [B('5 m'), '5', true, 'spaced one-letter unit'],
  [B('\\$5.00'), '5', true, 'money'],
  [B('\\frac{1}{3}'), '0.333', false, 'gold rounded, default tol'],
  [B('1,2'), '(1,2)', false, 'bare list vs tuple'],
  // ── more equation / membership / gold forms
  [B('f(x) = 2x+1'), '2x+1', true, 'function equation'],
  [B('x \\in [1,3)'), '[1,3)', true, 'membership'],
  [B('x \\in [1,3)'), '[1,3]', false, 'membership end'],
  [B('3'), 'The solution gives \\boxed{3}', true, 'gold with box'],
  [B('4'), '\\boxed{3}', false, 'gold with box mismatch'],
  ['The answer is x = 3.', '3', true, 'phrase with equation'],
];

// generated rows: each integer, decimal and fraction form against its twin and a neighbour
for (let n = -10; n <= 10; n++) {
  CASES.push([B(String(n)), String(n), true, `gen int ${n}`]);
  CASES.push([B(String(n)), String(n + 1), false, `gen int ${n} vs ${n + 1}`]);
}
for (let d = 2; d <= 9; d++) {
  CASES.push([B(`\\frac{1}{${d}}`), String(1 / d), true, `gen frac 1/${d}`]);
  CASES.push([B(`\\frac{1}{${d}}`), `\\frac{1}{${d + 1}}`, false, `gen frac 1/${d} vs 1/${d + 1}`]);
  CASES.push([B(`${d}\\%`), String(d / 100), true, `gen percent ${d}`]);
  CASES.push([B(`${d},000`), String(d * 1000), true, `gen thousands ${d}`]);
  CASES.push([B(`x \\le ${d}`), `x \\ge ${d}`, false, `gen inequality ${d}`]);
  CASES.push([B(`(${d}, ${d + 1})`), `(${d + 1}, ${d})`, false, `gen tuple order ${d}`]);
  CASES.push([B(`\\{${d}, ${d + 1}\\}`), `\\{${d + 1}, ${d}\\}`, true, `gen set order ${d}`]);
  CASES.push([B(`[${d}, ${d + 2})`), `[${d}, ${d + 2}]`, false, `gen interval ${d}`]);
  CASES.push([B(`(x+${d})^2`), `x^2+${2 * d}x+${d * d}`, true, `gen square ${d}`]);
}

function run(c: Case, opts?: VerifyMathOptions): void {
  const [completion, gold, expected, note] = c;
  const v = verifyMath(completion, gold, opts);
  const show = (x: unknown): string => JSON.stringify(x).slice(0, 200);
  assert.equal(v.correct, expected, `${note}: ${show(completion)} vs ${show(gold)} → ${show(v)}`);
}

test(`verifyMath table (${CASES.length} cases)`, () => {
  const failures: string[] = [];
  for (const c of CASES) {
    try {
      run(c);
    } catch (e) {
      failures.push((e as Error).message.split('\n')[0]!);
    }
  }
  assert.equal(failures.length, 0, `${failures.length} failing:\n${failures.join('\n')}`);
});

// adversarial and pathological inputs: each must return, with the right verdict (linear-time
// extraction, a screened and time-budgeted CAS; speed itself is a benchmark's business)
const MB = 1 << 20;
const ADVERSARIAL: Case[] = [
  ['a'.repeat(MB) + ' \\boxed{7}', '7', true, '1 MB filler then a box'],
  ['\\boxed{'.repeat(MB / 7), '1', false, '1 MB of unclosed boxes'],
  ['{'.repeat(MB / 2) + '}'.repeat(MB / 2), '1', false, '1 MB of nested braces'],
  ['\\boxed{' + '{'.repeat(900) + '1' + '}'.repeat(900) + '}', '1', true, 'deeply nested braces in a box'],
  ['\\boxed{' + '{'.repeat(5000) + '1' + '}'.repeat(5000) + '}', '1', false, 'nesting past MAX_ANSWER_CHARS'],
  ['\\boxed{' + '('.repeat(900) + 'x' + ')'.repeat(900) + '}', 'x', true, 'deeply nested parens'],
  ['\\boxed{' + '\\frac{1}{'.repeat(200) + '2' + '}'.repeat(200) + '}', '2', false, 'deep frac tower'],
  ['1 '.repeat(MB / 2), '1', false, '1 MB of numbers: a completion cut to its tail is read only at anchors'],
  ['answer is '.repeat(MB / 10), '1', false, '1 MB of answer phrases'],
  ['9'.repeat(MB), '9', false, '1 MB digit string (tail read: still one huge number)'],
  [B('100000!'), '1', false, 'huge factorial refused'],
  [B('9^{9^{9^{9}}}'), '1', false, 'power tower refused'],
  [B('2^{100000}'), '1', false, 'huge exponent refused'],
  [B('\\sum_{n=1}^{100000000} n'), '1', false, 'huge sum refused'],
  [B('x'.repeat(5000)), 'x', false, 'long product of symbols'],
  [B('1+'.repeat(3000) + '1'), '3001', false, 'long sum over CAS size cap'],
  [B('(1,'.repeat(500) + '1' + ')'.repeat(500)), '1', false, 'nested tuples'],
  [B('\\{'.repeat(5) + '1' + '\\}'.repeat(5)), '1', true, 'nested singleton sets'],
  [B('\\{'.repeat(500) + '1' + '\\}'.repeat(500)), '1', false, 'set nesting past the depth cap'],
  ['\\boxed{' + '1,'.repeat(2000) + '1}', '1', false, 'answer over MAX_ANSWER_CHARS'],
  [B('(a+b+c+d+e+f)^{30}'), '(a+b+c+d+e+f)^{31}', false, 'huge expansion avoided'],
  [B('(x+y+z)^{100}'), 'x', false, 'big power of a sum'],
  [B('(x+1)^{1000}'), 'x', false, 'power 1000'],
  [B('x^{999}+y^{999}'), '(x+y)^{999}', false, 'big powers both sides'],
  [B('999^{999}'), '999^{999}', true, 'big exact power'],
  [B('999^{999^{2}}'), '1', false, 'two-level tower'],
  [B('\\binom{999}{500}'), '1', false, 'big binomial'],
  [B('999!'), '1', false, 'factorial 999'],
  [B('\\tan(10^{300})'), '1', false, 'huge trig argument'],
  [B('e^{e^{999}}'), '1', false, 'overflowing exponential'],
];

test(`verifyMath adversarial inputs (${ADVERSARIAL.length} cases) return the right verdict`, () => {
  const failures: string[] = [];
  for (const c of ADVERSARIAL) {
    try {
      run(c);
    } catch (e) {
      failures.push((e as Error).message.split('\n')[0]!);
    }
  }
  assert.equal(failures.length, 0, `${failures.length} failing:\n${failures.join('\n')}`);
});

test('options: tolerance, extractWithoutAnchor, maxLength', () => {
  assert.equal(verifyMath(B('0.333'), '1/3', { tolerance: 1e-2 }).correct, true);
  assert.equal(verifyMath(B('0.333'), '1/3', { tolerance: 1e-4 }).correct, false);
  assert.equal(verifyMath(B('3.15'), '\\pi', { tolerance: 0.01 }).correct, true);
  assert.equal(verifyMath(B('101'), '100', { tolerance: 0.1 }).correct, false, 'integers stay exact');
  assert.equal(verifyMath('so we get 8', '8', { extractWithoutAnchor: false }).correct, false);
  assert.equal(verifyMath('so we get 8', '8', { extractWithoutAnchor: false }).reason, 'no answer found');
  assert.equal(verifyMath('\\boxed{5}' + ' '.repeat(100), '5', { maxLength: 50 }).correct, false, 'box cut off');
  assert.throws(() => verifyMath('1', '1', { tolerance: -1 }), RangeError);
});

test('verdict fields: extracted, normalizedGold, reason', () => {
  const v = verifyMath('\\boxed{}', '5');
  assert.deepEqual([v.correct, v.extracted, v.reason], [false, '', 'empty box']);
  const m = verifyMath('\\boxed{1} \\boxed{2}', '2');
  assert.equal(m.correct, true);
  assert.equal(m.extracted, '2');
  assert.match(m.reason, /multiple different boxes/);
  const g = verifyMath('\\boxed{1000}', '$1{,}000$');
  assert.equal(g.normalizedGold, '1000');
  assert.equal(g.correct, true);
  const n = verifyMath('nothing', '1', { extractWithoutAnchor: true });
  assert.deepEqual([n.correct, n.extracted], [false, null]);
  assert.equal(verifyMath(B('1'), Number.NaN).correct, false);
});

test('options: extract and goldExtract choose the targets; strict keeps variable names', () => {
  assert.equal(verifyMath('\\boxed{6}, and 9 more', '9', { extract: ['expr'] }).correct, true);
  assert.equal(verifyMath('\\boxed{6}, and 9 more', '9', { extract: ['latex'] }).correct, false);
  assert.equal(verifyMath('\\boxed{4}', 'So it is $4$ (and 7 were tried).', { goldExtract: ['latex'] }).correct, true);
  assert.equal(verifyMath(B('2y'), '2x').correct, false, 'strict by default');
  assert.equal(verifyMath(B('2y'), '2x', { strict: false }).correct, true);
  assert.equal(verifyMath(B('t^2 + 1 = 0'), 'x^2 + 1 = 0', { strict: false }).correct, true);
});

test('gold written as a solution: its boxes (a set when several), or its math', () => {
  assert.equal(verifyMath(B('-2, 1'), 'The roots are \\(\\boxed{1}\\) and \\(\\boxed{-2}\\).').correct, true);
  assert.equal(verifyMath(B('1'), 'The roots are \\(\\boxed{1}\\) and \\(\\boxed{-2}\\).').correct, false);
  assert.equal(verifyMath(B('21, 16, 11'), '$21,16$ or $11$').correct, true);
});
