// Recipes: the kinds table (every operation as {summary, schema, run}), the stage runner (cached,
// resumable), and the demo of DeepSeek-V3's recipe on the built-in task.
export {
  kindTable,
  stageKinds,
  evaluateModels,
  ANNOTATE_SCHEMA,
  EVAL_SCHEMA,
  type KindSpec,
  type StageKindOptions,
  type ModelEvaluation,
  type EvalStageConfig,
  type EvalModelSpec,
} from './stage_kinds.js';
export {
  runStages,
  stageSummaries,
  StageWaiting,
  type StageSpec,
  type StageContext,
  type StageResult,
  type StageKind,
  type RunReport,
} from './stages.js';
export { runDemo, type DemoOptions, type DemoSummary } from './demo.js';
