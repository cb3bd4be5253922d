// The reward functions a config names (`reward_funcs`, gen-data's `verifier`), by name: the
// rule-based verifiers (math as TRL's accuracy reward reads a completion, code in the sandbox), the
// <think> format, the built-in task's process check and the presence of a box. null = cannot judge
// this row. REWARD_COLUMNS declares the data columns each one needs: a trainer checks its data
// against them before the first round, since without the column the reward is null for every row.
// GRPO, gen-data and the routing of model-based rewards all look rewards up here.
import { groundedSteps } from '../data/builtin/index.js';
import { lastBoxed } from '../data/boxed.js';
import { ACCURACY_REWARD, verifyMath } from './math.js';
import { verifyCode, type CodeLanguage, type CodeTest } from './code.js';
import { thinkFormat } from './format.js';
import type { RewardFn } from './compose.js';

/** The built-in reward functions, by the names a config uses. null = cannot judge this row. */
export const BUILTIN_REWARDS: Record<string, RewardFn> = {
  /** 1 when the completion's marked answer equals the row's `answer` (rule-based math verifier, read
   *  as TRL's accuracy reward reads it: a box or an "answer" anchor, never a stray last number). */
  math: (x) =>
    x.example['answer'] === undefined || x.example['answer'] === null
      ? null
      : verifyMath(x.completion, String(x.example['answer']), ACCURACY_REWARD).correct
        ? 1
        : 0,
  /** Fraction of the row's `tests` passed by the completion's code, run in the sandbox. */
  code: async (x) => {
    const tests = x.example['tests'];
    if (!Array.isArray(tests) || tests.length === 0) return null;
    const language = (x.example['language'] ?? 'python') as CodeLanguage;
    return (await verifyCode(x.completion, { language, tests: tests as CodeTest[] })).passFraction;
  },
  /** 1 for a well-formed <think>…</think> block. */
  format: (x) => thinkFormat(x.completion),
  /** The built-in task's process check: equations true and built from the question's numbers. */
  steps: (x) => groundedSteps(x.completion, typeof x.example['question'] === 'string' ? x.example['question'] : x.prompt),
  /** 1 when a \boxed{} answer is present. */
  boxed: (x) => (lastBoxed(x.completion) !== null ? 1 : 0),
};

/** Rewards whose value is a verifier's judgement: the default accuracy metric. */
export const VERIFIER_REWARDS = ['math', 'code'];

/** The data columns a built-in reward cannot judge a row without (rewards not listed need none:
 *  steps falls back to the prompt when there is no `question`). */
export const REWARD_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  math: ['answer'],
  code: ['tests'],
};
