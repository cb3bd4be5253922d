// Evaluation: the math harness (greedy accuracy, pass@1 and maj@k over k samples, response lengths)
// over local models or OpenAI-compatible servers, the eval kind over several models, the problem
// files it reads, and pass@k.
export {
  evaluate,
  evaluateMath,
  evaluateMathWith,
  type EvalItem,
  type EvalReport,
  type MathProblem,
  type MathEvalOptions,
  type MathEvalReport,
  type MathItemResult,
} from './evaluate.js';
export {
  EVAL_SCHEMA,
  EVAL_MODEL_SCHEMA,
  evaluateModels,
  evalModels,
  reportTable,
  type EvalConfig,
  type EvalModelSpec,
  type ModelEvaluation,
} from './models.js';
export { loadProblems, problemFromRow, type ProblemFormat } from './problems.js';
export { passAtK, majorityVote } from './metrics.js';
