// The annotate kind: V3's human-annotation step for non-reasoning SFT data as one operation, run by
// `posttrain annotate` and a recipe's annotate stage. A generalist model (a folder or an
// OpenAI-compatible server) answers the prompts into the queue <output_dir>/queue (resumable:
// prompts already there are not asked again); undecided items are decided automatically when the
// config says so (marked annotator 'auto'; a blank answer or one holding characters the data readers
// refuse is never accepted automatically), or wait for people at the annotation page
// (`posttrain annotate-page --queue=<output_dir>/queue`); once none is undecided, the accepted and
// edited answers are exported as SFT rows to <output_dir>/accepted.jsonl.
import { join } from 'node:path';
import { defineSchema, type ConfigOf } from '../common/schema.js';
import { openChatBackend } from '../generation/chat_backend.js';
import { autoAccept, decide, exportAccepted, fillQueue, readQueue, unusable, type QueueItem } from './queue.js';
import { readPrompts } from './prompts.js';

export const ANNOTATE_SCHEMA = defineSchema({
  generalist: {
    type: 'string',
    default: null,
    required: true,
    doc: 'the generalist model that answers: a folder or an OpenAI-compatible server URL',
  },
  generalist_model: { type: 'string', default: null, nullable: true, doc: 'its model name at the server' },
  prompts: {
    type: 'string',
    default: null,
    required: true,
    doc: 'non-reasoning prompts: rows with messages | prompt | question | instruction',
  },
  max_tokens: { type: 'int', default: 512, min: 1, doc: 'response length limit' },
  temperature: { type: 'number', default: 0.7, min: 0, doc: 'sampling temperature' },
  seed: { type: 'int', default: 0, min: 0, doc: 'sampling seed' },
  auto: {
    type: 'string',
    default: 'none',
    values: ['none', 'accept', 'grader'],
    doc: "none: people decide at the annotation page (posttrain annotate-page --queue=<output_dir>/queue; the run waits); accept: accept every undecided item; grader: the recipe's automatic annotator — both marked annotator 'auto'",
  },
  output_dir: { type: 'string', default: 'annotate_output', doc: 'folder for the queue (queue/) and the exported rows (accepted.jsonl)' },
});
export type AnnotateConfig = ConfigOf<typeof ANNOTATE_SCHEMA>;

export type AnnotationGateResult =
  { waiting: null; output: string; items: number; accepted: number; edited: number; rejected: number } | { waiting: string };

/** Fills the queue, applies the automatic decisions, and exports — or says what people must decide first. */
export async function runAnnotationGate(
  c: AnnotateConfig,
  o: { where: string; log: (line: string) => void; autoAnnotator?: (item: QueueItem) => boolean },
): Promise<AnnotationGateResult> {
  const queue = join(c.output_dir, 'queue');
  const backend = openChatBackend({ source: c.generalist, model: c.generalist_model, field: `${o.where} 'generalist'` });
  try {
    const fill = await fillQueue(backend, await readPrompts(c.prompts), queue, {
      model: backend.description,
      maxTokens: c.max_tokens,
      temperature: c.temperature,
      seed: c.seed,
    });
    o.log(`  annotation queue ${queue}: ${fill.total} items (${fill.asked} answered now by ${backend.description})`);
  } finally {
    backend.dispose();
  }
  if (c.auto === 'accept') autoAccept(queue);
  if (c.auto === 'grader') {
    if (!o.autoAnnotator)
      throw new Error(
        `${o.where}: auto: grader needs the recipe's automatic annotator (the built-in task has one; a config file uses none or accept)`,
      );
    const state = readQueue(queue);
    for (const item of state.items)
      if (!state.decisions[item.id]) decide(queue, item.id, !unusable(item) && o.autoAnnotator(item) ? 'accept' : 'reject', null, 'auto');
  }
  const { progress } = readQueue(queue);
  if (progress.undecided > 0)
    return {
      waiting: `${progress.undecided} of ${progress.total} items wait for annotation: run 'posttrain annotate-page --queue=${queue}', decide them, then run again`,
    };
  const output = join(c.output_dir, 'accepted.jsonl');
  const e = exportAccepted(queue, output);
  return { waiting: null, output, items: progress.total, accepted: e.accepted, edited: e.edited, rejected: e.rejected };
}
