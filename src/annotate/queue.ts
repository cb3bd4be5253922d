// The annotation queue for non-reasoning SFT data (DeepSeek-V3: a generalist model answers, human
// annotators check; only accepted items become SFT rows). A queue is a folder:
//   items.jsonl      one item per line: {id, messages, response, kind?, provenance}; `messages` is the
//                    prompt conversation (system?/user turns), `response` the model's answer. Always
//                    rewritten whole, atomically (temp file + fsync + rename).
//   decisions.jsonl  an append-only log, one line per decision: {id, decision: accept|edit|reject,
//                    response (the final text; accept/edit only), at (ISO time), annotator: human|auto}.
//                    The last line for an id wins, so a decision can be changed. Every decision is
//                    durable when decide() returns: one write of the whole line and an fsync, so a
//                    kill leaves every earlier decision. On read, a torn last line (no newline, or not
//                    a valid decision) is ignored with a warning and cut off before the next append;
//                    a bad line anywhere else is an error naming file:line.
// An item's id is a stable hash of its prompt, so filling the queue again (after a kill, or with
// more prompts) asks the model only about prompts not yet in it. Export writes SFT rows
// ({messages: [...prompt, assistant final text], annotation, provenance}) for accepted and edited
// items only. Knows nothing about HTTP (server.ts) or how prompts files look (prompts.ts).
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomically, fsyncDir } from '../common/files.js';
import type { ChatBackend } from '../generation/chat_backend.js';
import type { ChatMessage } from '../tokenizer/index.js';
import { seedFrom, textSeed } from '../common/rng.js';
import { checkRowText } from '../data/text_checks.js';

export const ITEMS_FILE = 'items.jsonl';
export const DECISIONS_FILE = 'decisions.jsonl';
export const DECISIONS = ['accept', 'edit', 'reject'] as const;
export const ANNOTATORS = ['human', 'auto'] as const;
export type Decision = (typeof DECISIONS)[number];
export type Annotator = (typeof ANNOTATORS)[number];

export interface ItemProvenance {
  /** The generalist model: its folder or "name at URL". */
  model: string;
  /** Where the prompt came from (a prompts file and line), null when given in code. */
  source: { file: string; line: number } | null;
  sampling: { maxTokens: number; temperature: number; seed: number };
  /** The backend's finish reason: 'length' marks a response cut at maxTokens. */
  finishReason: string;
  /** ISO time the response was generated. */
  created: string;
}

export interface QueueItem {
  id: string;
  messages: ChatMessage[];
  response: string;
  kind?: string;
  provenance: ItemProvenance;
}

export interface DecisionRecord {
  id: string;
  decision: Decision;
  /** The final text (accept: the model's response; edit: the annotator's); absent for reject. */
  response?: string;
  at: string;
  annotator: Annotator;
}

export interface QueueProgress {
  total: number;
  decided: number;
  accepted: number;
  edited: number;
  rejected: number;
  undecided: number;
}

export interface QueueState {
  items: QueueItem[];
  /** The current (last) decision per item id; undecided items have none. */
  decisions: Record<string, DecisionRecord>;
  progress: QueueProgress;
  /** Things read past (a torn last decision line), for the caller to show. */
  warnings: string[];
}

/** A prompt to put in the queue. */
export interface QueuePrompt {
  messages: ChatMessage[];
  kind?: string;
  source?: { file: string; line: number } | null;
}

/** A caller's mistake the queue refuses: an unknown id ('unknown-id') or a malformed decision ('invalid'). */
export class AnnotationError extends Error {
  constructor(
    readonly kind: 'unknown-id' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'AnnotationError';
  }
}

/** Stable id of a prompt: the first 16 hex digits of sha256 over its roles and contents. */
export function promptId(messages: readonly ChatMessage[]): string {
  const canonical = JSON.stringify(messages.map((m) => [m.role, m.content]));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

// ---------------------------------------------------------------------------------------------
// reading

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The problem with an item object, or null when it is well-formed. */
function itemProblem(v: unknown): string | null {
  if (!isObject(v)) return 'expected a JSON object';
  if (typeof v['id'] !== 'string' || !v['id']) return "field 'id' must be a non-empty string";
  const messages = v['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return "field 'messages' must be a non-empty array";
  for (const [i, m] of messages.entries()) {
    if (!isObject(m) || typeof m['role'] !== 'string' || typeof m['content'] !== 'string')
      return `field 'messages[${i}]' must be {role, content} strings`;
  }
  if (typeof v['response'] !== 'string') return "field 'response' must be a string";
  if (v['kind'] !== undefined && typeof v['kind'] !== 'string') return "field 'kind' must be a string";
  if (!isObject(v['provenance'])) return "field 'provenance' must be an object";
  return null;
}

/** The problem with a decision object, or null when it is well-formed. */
function decisionProblem(v: unknown): string | null {
  if (!isObject(v)) return 'expected a JSON object';
  if (typeof v['id'] !== 'string' || !v['id']) return "field 'id' must be a non-empty string";
  if (!(DECISIONS as readonly unknown[]).includes(v['decision'])) return `field 'decision' must be one of ${DECISIONS.join(', ')}`;
  if (v['decision'] !== 'reject' && typeof v['response'] !== 'string')
    return `field 'response' must be a string for '${String(v['decision'])}'`;
  if (typeof v['at'] !== 'string') return "field 'at' must be an ISO time string";
  if (!(ANNOTATORS as readonly unknown[]).includes(v['annotator'])) return `field 'annotator' must be one of ${ANNOTATORS.join(', ')}`;
  return null;
}

export function readItems(dir: string): QueueItem[] {
  const file = join(dir, ITEMS_FILE);
  if (!existsSync(file)) {
    if (!existsSync(dir)) throw new Error(`annotation queue ${dir}: no such folder`);
    return [];
  }
  const items: QueueItem[] = [];
  const seen = new Map<string, number>();
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        throw new Error(`${file}:${i + 1}: invalid JSON: ${(e as Error).message}`);
      }
      const problem = itemProblem(value);
      if (problem) throw new Error(`${file}:${i + 1}: ${problem}`);
      const item = value as QueueItem;
      const earlier = seen.get(item.id);
      if (earlier !== undefined) throw new Error(`${file}:${i + 1}: item id '${item.id}' repeats line ${earlier}`);
      seen.set(item.id, i + 1);
      items.push(item);
    });
  return items;
}

interface DecisionLog {
  records: DecisionRecord[];
  /** Byte length of the file up to the end of its last good line (where the next append goes). */
  goodBytes: number;
  totalBytes: number;
  warnings: string[];
}

function readDecisionLog(dir: string): DecisionLog {
  const file = join(dir, DECISIONS_FILE);
  if (!existsSync(file)) return { records: [], goodBytes: 0, totalBytes: 0, warnings: [] };
  const bytes = readFileSync(file);
  const text = bytes.toString('utf8');
  const lines = text.split('\n');
  // split leaves '' after a final newline; anything else there is a line that lost its newline
  const lastIndex = lines.length - 1;
  const records: DecisionRecord[] = [];
  const warnings: string[] = [];
  let offset = 0;
  let goodBytes = 0;
  const lastContentLine = lines.reduce((last, l, i) => (l.trim() === '' ? last : i), -1);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineBytes = Buffer.byteLength(line, 'utf8') + (i < lastIndex ? 1 : 0);
    const torn = i === lastIndex && line !== '';
    if (line.trim() === '' && !torn) {
      offset += lineBytes;
      goodBytes = offset;
      continue;
    }
    let value: unknown;
    let problem: string | null;
    try {
      value = JSON.parse(line);
      problem = decisionProblem(value);
    } catch (e) {
      problem = `invalid JSON: ${(e as Error).message}`;
    }
    if (torn || problem) {
      if (i === lastContentLine) {
        warnings.push(
          `${file}:${i + 1}: ignoring a torn last line (${torn ? 'no newline at the end' : problem}): the write of that decision did not finish`,
        );
        break;
      }
      throw new Error(`${file}:${i + 1}: ${problem}`);
    }
    records.push(value as DecisionRecord);
    offset += lineBytes;
    goodBytes = offset;
  }
  return { records, goodBytes, totalBytes: bytes.byteLength, warnings };
}

function progressOf(items: readonly QueueItem[], decisions: Record<string, DecisionRecord>): QueueProgress {
  const p: QueueProgress = { total: items.length, decided: 0, accepted: 0, edited: 0, rejected: 0, undecided: 0 };
  for (const it of items) {
    const d = decisions[it.id];
    if (!d) {
      p.undecided++;
      continue;
    }
    p.decided++;
    if (d.decision === 'accept') p.accepted++;
    else if (d.decision === 'edit') p.edited++;
    else p.rejected++;
  }
  return p;
}

/** Items, the current decision per item, and progress counts. A decision for an id no item has is skipped with a warning. */
export function readQueue(dir: string): QueueState {
  const items = readItems(dir);
  const log = readDecisionLog(dir);
  const known = new Set(items.map((it) => it.id));
  const decisions: Record<string, DecisionRecord> = {};
  const unknown = new Set<string>();
  for (const r of log.records) {
    if (known.has(r.id)) decisions[r.id] = r;
    else unknown.add(r.id);
  }
  const warnings = [...log.warnings];
  if (unknown.size)
    warnings.push(
      `${join(dir, DECISIONS_FILE)}: decisions for ${unknown.size} id(s) not in ${ITEMS_FILE} are ignored (${[...unknown].slice(0, 3).join(', ')}${unknown.size > 3 ? ', …' : ''})`,
    );
  return { items, decisions, progress: progressOf(items, decisions), warnings };
}

// ---------------------------------------------------------------------------------------------
// deciding

/**
 * Appends `lines` (each one JSON record) to decisions.jsonl with one write and an fsync. A torn last
 * line left by an earlier kill is cut off first, so the new lines do not join it.
 */
function appendDecisions(dir: string, records: readonly DecisionRecord[]): void {
  if (records.length === 0) return;
  const file = join(dir, DECISIONS_FILE);
  const created = !existsSync(file);
  const log = readDecisionLog(dir);
  const bytes = Buffer.from(records.map((r) => JSON.stringify(r) + '\n').join(''), 'utf8');
  const fd = openSync(file, 'a', 0o644);
  try {
    if (log.goodBytes < log.totalBytes && fstatSync(fd).size === log.totalBytes) ftruncateSync(fd, log.goodBytes);
    let written = writeSync(fd, bytes, 0, bytes.byteLength);
    // a regular file takes the whole buffer in one call; a short write (disk nearly full) finishes here
    while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (created) fsyncDir(dir);
}

function checkDecision(item: QueueItem | undefined, id: string, decision: unknown, response: unknown, annotator: unknown): DecisionRecord {
  if (!item) throw new AnnotationError('unknown-id', `no item with id '${id}' in the queue`);
  if (!(DECISIONS as readonly unknown[]).includes(decision))
    throw new AnnotationError('invalid', `decision must be one of ${DECISIONS.join(', ')}, got ${JSON.stringify(decision)}`);
  if (!(ANNOTATORS as readonly unknown[]).includes(annotator))
    throw new AnnotationError('invalid', `annotator must be one of ${ANNOTATORS.join(', ')}, got ${JSON.stringify(annotator)}`);
  if (response !== undefined && response !== null && typeof response !== 'string')
    throw new AnnotationError('invalid', `response must be a string, got ${typeof response}`);
  const at = new Date().toISOString();
  const base = { id, at, annotator: annotator as Annotator };
  if (decision === 'reject') {
    if (typeof response === 'string') throw new AnnotationError('invalid', `item '${id}': reject takes no response text`);
    return { ...base, decision: 'reject' };
  }
  if (decision === 'accept') {
    if (typeof response === 'string' && response !== item.response)
      throw new AnnotationError(
        'invalid',
        `item '${id}': accept keeps the model's response as it is; send 'edit' with the new text to change it`,
      );
    return { ...base, decision: 'accept', response: item.response };
  }
  if (typeof response !== 'string' || response.trim() === '')
    throw new AnnotationError('invalid', `item '${id}': edit needs the edited response text (non-empty)`);
  return { ...base, decision: 'edit', response };
}

/**
 * Records a decision durably (on disk when this returns) and returns it. accept keeps the model's
 * response (a given text must equal it); edit needs the new text; reject takes none. Unknown ids
 * and malformed decisions throw AnnotationError.
 */
export function decide(
  dir: string,
  id: string,
  decision: Decision,
  response?: string | null,
  annotator: Annotator = 'human',
): DecisionRecord {
  const item = readItems(dir).find((it) => it.id === id);
  const record = checkDecision(item, id, decision, response ?? undefined, annotator);
  appendDecisions(dir, [record]);
  return record;
}

/** Accepts every undecided item as annotator 'auto' (the demo's shortcut, marked as such in the log), in one durable append. */
export function autoAccept(dir: string): { accepted: number; rejected: number; alreadyDecided: number } {
  const state = readQueue(dir);
  const at = new Date().toISOString();
  const records: DecisionRecord[] = state.items
    .filter((it) => !state.decisions[it.id])
    .map((it) =>
      unusable(it)
        ? { id: it.id, decision: 'reject', at, annotator: 'auto' }
        : { id: it.id, decision: 'accept', response: it.response, at, annotator: 'auto' },
    );
  appendDecisions(dir, records);
  const rejected = records.filter((r) => r.decision === 'reject').length;
  return { accepted: records.length - rejected, rejected, alreadyDecided: state.progress.decided };
}

/**
 * Whether an item's response is blank or holds characters the data readers refuse (control
 * characters, lone surrogates): an automatic annotator never accepts it, since SFT would refuse the
 * exported row. (A person may still accept it; the SFT run then names the row.)
 */
export function unusable(item: QueueItem): boolean {
  return item.response.trim() === '' || checkRowText({ response: item.response }, false) !== null;
}

// ---------------------------------------------------------------------------------------------
// export

export interface SftRow {
  messages: ChatMessage[];
  annotation: { decision: Decision; annotator: Annotator; at: string };
  kind?: string;
  provenance: ItemProvenance;
}

export interface ExportCounts {
  rows: number;
  accepted: number;
  edited: number;
  rejected: number;
  undecided: number;
}

/** SFT rows for accepted and edited items (the final text as the assistant turn), written atomically to outFile. */
export function exportAccepted(dir: string, outFile: string): ExportCounts {
  const state = readQueue(dir);
  const rows: SftRow[] = [];
  for (const it of state.items) {
    const d = state.decisions[it.id];
    if (!d || d.decision === 'reject') continue;
    rows.push({
      messages: [...it.messages, { role: 'assistant', content: d.response! }],
      annotation: { decision: d.decision, annotator: d.annotator, at: d.at },
      ...(it.kind === undefined ? {} : { kind: it.kind }),
      provenance: it.provenance,
    });
  }
  writeFileAtomically(outFile, rows.map((r) => JSON.stringify(r) + '\n').join(''));
  const p = state.progress;
  return { rows: rows.length, accepted: p.accepted, edited: p.edited, rejected: p.rejected, undecided: p.undecided };
}

// ---------------------------------------------------------------------------------------------
// filling

export interface FillOptions {
  /** The model's name for provenance (e.g. its folder, or "name at URL"); default backend.description. */
  model?: string;
  maxTokens: number;
  temperature: number;
  seed?: number;
  /** Prompts asked at once (one batch on a local backend); items.jsonl is rewritten after each (default 32). */
  chunkSize?: number;
  /** Called after each chunk is saved. */
  onProgress?: (asked: number, toAsk: number) => void;
}

export interface FillResult {
  asked: number;
  alreadyQueued: number;
  duplicates: number;
  total: number;
}

/**
 * The generalist model answers every prompt not yet in the queue (by id), chunk by chunk; after each
 * chunk the items file is rewritten atomically, so a kill loses at most the chunk in flight and a
 * second call picks up where the first stopped. Prompts repeated in `prompts` are asked once.
 */
export async function fillQueue(
  backend: ChatBackend,
  prompts: readonly QueuePrompt[],
  dir: string,
  opts: FillOptions,
): Promise<FillResult> {
  mkdirSync(dir, { recursive: true });
  const items = readItems(dir);
  const queued = new Set(items.map((it) => it.id));
  const toAsk: { id: string; prompt: QueuePrompt }[] = [];
  let alreadyQueued = 0,
    duplicates = 0;
  const planned = new Set<string>();
  for (const [i, p] of prompts.entries()) {
    const where = p.source ? `${p.source.file}:${p.source.line}` : `prompt ${i}`;
    if (!Array.isArray(p.messages) || p.messages.length === 0) throw new Error(`fillQueue: ${where}: messages must be a non-empty array`);
    if (p.messages[p.messages.length - 1]!.role === 'assistant')
      throw new Error(`fillQueue: ${where}: the prompt ends with an assistant turn; it must end with the turn the model answers`);
    const id = promptId(p.messages);
    if (queued.has(id)) alreadyQueued++;
    else if (planned.has(id)) duplicates++;
    else {
      planned.add(id);
      toAsk.push({ id, prompt: p });
    }
  }
  const chunkSize = opts.chunkSize ?? 32;
  const seed = opts.seed ?? 0;
  const modelName = opts.model ?? backend.description;
  for (let start = 0; start < toAsk.length; start += chunkSize) {
    const chunk = toAsk.slice(start, start + chunkSize);
    const results = await Promise.all(
      chunk.map(({ id, prompt }) =>
        // each prompt its own stream (the queue's seed and the item id): independent of batch-mates and order
        backend.chat({
          messages: prompt.messages,
          n: 1,
          maxTokens: opts.maxTokens,
          temperature: opts.temperature,
          seed: seedFrom(seed, textSeed(id)),
        }),
      ),
    );
    const created = new Date().toISOString();
    chunk.forEach(({ id, prompt }, j) => {
      const r = results[j]!;
      items.push({
        id,
        messages: prompt.messages.map((m) => ({ role: m.role, content: m.content })),
        response: r.texts[0] ?? '',
        ...(prompt.kind === undefined ? {} : { kind: prompt.kind }),
        provenance: {
          model: modelName,
          source: prompt.source ?? null,
          sampling: { maxTokens: opts.maxTokens, temperature: opts.temperature, seed },
          finishReason: r.finishReasons[0] ?? 'unknown',
          created,
        },
      });
    });
    writeFileAtomically(join(dir, ITEMS_FILE), items.map((it) => JSON.stringify(it) + '\n').join(''));
    opts.onProgress?.(Math.min(start + chunkSize, toAsk.length), toAsk.length);
  }
  return { asked: toAsk.length, alreadyQueued, duplicates, total: items.length };
}
