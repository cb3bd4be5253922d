// The rewards floor's public surface: rule-based verifiers (math as Math-Verify reads answers, code
// in the sandbox), format and length shaping, generative judges, routing per row (V3 §2.1), scalar
// reward models as reward functions, and the scoring of several reward functions together.
export { verifyMath, ACCURACY_REWARD, MAX_ANSWER_CHARS, type VerifyMathOptions, type MathVerdict } from './math.js';
export { extractCandidates, mathEnvironments, plainNumbers, PRIORITIES, type ExtractTarget, type Candidate } from './math_extract.js';
export {
  verifyCode,
  extractCode,
  type CodeLanguage,
  type CodeTest,
  type VerifyCodeOptions,
  type VerifyCodeResult,
  type CodeTestResult,
} from './code.js';
export { runSandboxed, type SandboxOptions, type SandboxResult } from './sandbox.js';
export { scoreAll, type RewardFn, type RewardInput, type NamedReward, type Scores } from './compose.js';
export { thinkFormat, thinkAnswerFormat, tagCount, languageConsistency, lengthPenalty, overlongPenalty } from './format.js';
export {
  judgeReward,
  backendJudge,
  judgeMessages,
  parseJudgement,
  combineJudgements,
  type JudgeMode,
  type Judgement,
  type JudgeInput,
  type JudgeRewardOptions,
} from './judge.js';
export { routedReward, type RoutingOptions, type RoutingDiagnostics } from './routing.js';
export { scalarRewardFn } from './scalar_rm.js';
export { BUILTIN_REWARDS, VERIFIER_REWARDS } from './registry.js';
