// `posttrain annotate --queue=DIR ...`: the human-annotation step for non-reasoning SFT data.
//   --fill --model=DIR|URL [--served-model=NAME] --prompts=FILE.jsonl [--max-tokens=N --temperature=T --seed=S]
//                      a generalist model (a folder, or an OpenAI-compatible server) answers the
//                      prompts into the queue; prompts already there are not asked again
//   --auto-accept      accepts every undecided item as annotator 'auto' (a shortcut for demos; the
//                      log marks those decisions as not human)
//   --export=OUT.jsonl SFT rows for accepted and edited items
//   (none of these)    serves the annotation page [--host=127.0.0.1 --port=8080] until interrupted
// The actions combine and run in the order fill → auto-accept → export. Prompts file rows:
// {messages} or {prompt} / {question} / {instruction} (see src/annotate/prompts.ts).
import { openChatBackend, isUrl } from '../generation/chat_backend.js';
import { fillQueue, autoAccept, exportAccepted, readQueue } from '../annotate/queue.js';
import { readPrompts } from '../annotate/prompts.js';
import { startAnnotationServer } from '../annotate/server.js';
import { Flags } from './flags.js';

function line(text: string): void {
  process.stdout.write(`${text}\n`);
}

export async function annotateCommand(args: string[]): Promise<void> {
  const f = new Flags(args);
  const dir = f.str('queue');
  const fill = f.bool('fill', false);
  const modelSource = f.optStr('model');
  const servedModel = f.optStr('served-model');
  const promptsFile = f.optStr('prompts');
  const maxTokens = f.int('max-tokens', 256, 1);
  const temperature = f.num('temperature', 0.7, (v) => v >= 0, 'a number >= 0');
  const seed = f.int('seed', 0);
  const doAutoAccept = f.bool('auto-accept', false);
  const exportFile = f.optStr('export');
  const serving = !fill && !doAutoAccept && exportFile === undefined;
  const host = f.str('host', '127.0.0.1');
  const port = f.int('port', 8080);
  f.rejectUnknown('annotate');
  if (exportFile === 'true' || exportFile === '') throw new Error('--export needs a file: --export=OUT.jsonl');
  if (!fill && (modelSource !== undefined || promptsFile !== undefined || servedModel !== undefined))
    throw new Error('--model, --served-model and --prompts go with --fill');
  if (fill && (modelSource === undefined || promptsFile === undefined))
    throw new Error('--fill needs --model=DIR|URL and --prompts=FILE.jsonl');
  if (fill && isUrl(modelSource!) && servedModel === undefined)
    throw new Error(`--model is a server URL (${modelSource}): --served-model=NAME names the model there`);

  if (fill) {
    const prompts = await readPrompts(promptsFile!);
    const backend = openChatBackend({ source: modelSource!, model: servedModel, field: '--model' });
    try {
      const modelName = servedModel ? `${servedModel} at ${modelSource}` : modelSource!;
      line(`filling ${dir} from ${promptsFile} (${prompts.length} prompts) with ${backend.description}`);
      const r = await fillQueue(backend, prompts, dir, {
        model: modelName,
        maxTokens,
        temperature,
        seed,
        onProgress: (asked, toAsk) => process.stderr.write(`  answered ${asked}/${toAsk}\n`),
      });
      line(`asked ${r.asked}, already in the queue ${r.alreadyQueued}, repeated prompts ${r.duplicates}; the queue holds ${r.total} items`);
    } finally {
      backend.dispose();
    }
  }
  if (doAutoAccept) {
    const r = autoAccept(dir);
    line(`auto-accepted ${r.accepted} undecided items (annotator 'auto'); ${r.alreadyDecided} were already decided`);
  }
  if (exportFile !== undefined) {
    const r = exportAccepted(dir, exportFile);
    line(
      `wrote ${r.rows} SFT rows to ${exportFile} (${r.accepted} accepted, ${r.edited} edited; left out: ${r.rejected} rejected, ${r.undecided} undecided)`,
    );
  }
  if (!serving) return;

  const state = readQueue(dir);
  for (const w of state.warnings) process.stderr.write(`warning: ${w}\n`);
  const s = await startAnnotationServer({ dir, host, port });
  const p = state.progress;
  line(`annotation page for ${dir} at ${s.url} (${p.decided} of ${p.total} decided); Ctrl+C stops`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      void s.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
