// Loading math problems with reference answers for evaluation: GSM8K-style rows ({question,
// answer: "… #### 42"}), MATH-style rows ({problem, solution with \boxed{…}} or an `answer`
// column), and the built-in task's held-out file ({question, answer}). Rows are read through the
// data layer, so a bad row is reported with file, line and field.
import { readRows, DataError } from '../data/index.js';
import { lastBoxed } from '../data/boxed.js';
import type { MathProblem } from './evaluate.js';

export type ProblemFormat = 'auto' | 'gsm8k' | 'math' | 'builtin';

function gsm8kAnswer(s: string): string | null {
  const i = s.lastIndexOf('####');
  return i < 0
    ? null
    : s
        .slice(i + 4)
        .trim()
        .replace(/,/g, '');
}

export function problemFromRow(data: Record<string, unknown>, format: ProblemFormat, file: string, line: number): MathProblem {
  const fail = (field: string, detail: string): never => {
    throw new DataError(file, line, detail, field);
  };
  const str = (k: string) => (typeof data[k] === 'string' ? (data[k] as string) : typeof data[k] === 'number' ? String(data[k]) : null);
  const id = str('id') ?? undefined;
  const fmt =
    format !== 'auto'
      ? format
      : typeof data['problem'] === 'string'
        ? 'math'
        : typeof data['answer'] === 'string' && (data['answer'] as string).includes('####')
          ? 'gsm8k'
          : 'builtin';
  if (fmt === 'math') {
    const question = str('problem') ?? str('question') ?? fail('problem', 'must be a string');
    const answer =
      str('answer') ??
      (str('solution') !== null ? lastBoxed(str('solution')!) : null) ??
      fail('solution', 'needs a \\boxed{} answer (or give an `answer` column)');
    return { id, question, answer };
  }
  const question = str('question') ?? fail('question', 'must be a string');
  if (fmt === 'gsm8k') {
    const answer = gsm8kAnswer(str('answer') ?? fail('answer', 'must be a string')) ?? fail('answer', "has no '#### <answer>' line");
    return { id, question, answer };
  }
  const answer = str('answer') ?? fail('answer', 'must be a string or a number');
  return { id, question, answer };
}

export async function loadProblems(path: string, format: ProblemFormat = 'auto', limit = Infinity): Promise<MathProblem[]> {
  const out: MathProblem[] = [];
  for await (const row of readRows(path)) {
    if (out.length >= limit) break;
    out.push(problemFromRow(row.data, format, row.file, row.line));
  }
  return out;
}
