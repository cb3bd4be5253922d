// `posttrain annotate-page --queue=DIR [--host=127.0.0.1 --port=8080 --allowed-hosts=a,b]`: the annotation page for a
// queue that the annotate kind filled (`posttrain annotate`, or a recipe's annotate stage): people
// accept (a), edit (e) or reject (r) each answer, until interrupted. Run the annotate kind again
// afterwards to export the accepted and edited answers (a recipe continues past its gate).
import { defineSchema } from '../common/schema.js';
import { readQueue } from '../annotate/queue.js';
import { startAnnotationServer } from '../annotate/server.js';
import { command } from './args.js';
import { untilInterrupted } from './model_io.js';

export const ANNOTATE_PAGE_SCHEMA = defineSchema({
  queue: { type: 'string', default: null, required: true, doc: "the queue folder (an annotate run's <output_dir>/queue)" },
  host: { type: 'string', default: '127.0.0.1', doc: 'address to listen on (loopback unless you mean otherwise)' },
  port: { type: 'int', default: 8080, min: 0, max: 65535, doc: 'port to listen on (0: any free port)' },
  allowed_hosts: {
    type: 'strings',
    default: null,
    nullable: true,
    doc: "Host names answered besides localhost, 127.0.0.1, [::1] and the bind address (name or name:port, comma-separated; '*' any): a guard against DNS rebinding; on a non-loopback host, Host is checked only when given",
  },
});

export const annotatePageCommand = command({
  summary: 'the annotation page for a queue of model answers: accept (a), edit (e), reject (r); decisions are logged with who made them',
  schema: ANNOTATE_PAGE_SCHEMA,
  run: async (c) => {
    const state = readQueue(c.queue);
    for (const w of state.warnings) process.stderr.write(`warning: ${w}\n`);
    const s = await startAnnotationServer({ dir: c.queue, host: c.host, port: c.port, allowedHosts: c.allowed_hosts });
    const p = state.progress;
    process.stdout.write(`annotation page for ${c.queue} at ${s.url} (${p.decided} of ${p.total} decided); Ctrl+C stops\n`);
    await untilInterrupted(() => s.close());
    return 0;
  },
});
