// Recipes: the kinds table (every operation as {summary, schema, run}), the stage runner (cached,
// resumable), and the demo of DeepSeek-V3's recipe on the built-in task.
export { kindTable, stageKinds, type KindSpec, type StageKindOptions } from './stage_kinds.js';
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
