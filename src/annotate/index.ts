// The human-annotation step of V3's non-reasoning SFT data: the queue (answers, decisions, export),
// the annotation page's server, and the annotate kind (the gate a recipe waits at).
export { ANNOTATE_SCHEMA, runAnnotationGate, type AnnotateConfig, type AnnotationGateResult } from './gate.js';
export {
  fillQueue,
  readQueue,
  decide,
  autoAccept,
  exportAccepted,
  AnnotationError,
  type QueueItem,
  type QueueState,
  type Decision,
  type Annotator,
  type SftRow,
  type ExportCounts,
  type FillOptions,
  type FillResult,
} from './queue.js';
export { readPrompts } from './prompts.js';
export { startAnnotationServer, type AnnotationServerOptions, type AnnotationServer } from './server.js';
