// Expert data generation with rejection sampling (`posttrain gen-data`, SPEC.md §1): a teacher —
// a model folder or any OpenAI-compatible server — answers each problem n times under a
// reflection/verification system prompt; samples that are truncated, malformed (no closed <think>
// block, no \boxed{} when required, control characters the data readers refuse), mixed-language, with a false equation (check_equations),
// wrong (rule verifier, or a judge given the
// free-form reference) or longer than the limit are dropped, and one correct sample is kept (the
// shortest by default). Every kept problem gives both V3 sample types, appended together:
//   (a) <problem, original response>           sample_type 'original' (the row's short solution, or
//                                               the teacher without the system prompt, verified)
//   (b) <system prompt, problem, teacher response>   sample_type 'teacher'
// with provenance columns. Problems overlapping the evaluation sets (n-gram share) are skipped.
// Resumable: rows are appended durably per problem, then the problem's outcome goes to
// <output>.ledger.jsonl; a rerun skips ledgered problems and removes rows whose ledger line never
// came (a kill between the two), so nothing is duplicated or lost.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { readRows, DataError } from '../data/index.js';
import { Tokenizer, type ChatMessage } from '../tokenizer/index.js';
import { openChatBackend, isUrl, type ChatBackend, type ChatResult } from '../generation/chat_backend.js';
import { lastBoxed } from '../data/boxed.js';
import { checkSteps } from '../data/builtin/grading.js';
import { thinkFormat, languageConsistency } from '../rewards/format.js';
import { backendJudge, judgeReward } from '../rewards/judge.js';
import { BUILTIN_REWARDS } from '../rewards/registry.js';
import type { RewardFn } from '../rewards/compose.js';
import { writeFileAtomically } from '../common/files.js';
import { appendDurably, readJsonlTolerant } from './durable_jsonl.js';
import { evaluationIndex, rowQuestion, type NgramIndex } from './decontaminate.js';
import type { GenDataConfig } from './gen_config.js';
import { seedFrom } from '../common/rng.js';
import { acquireLock } from '../common/run_lock.js';
import { checkRowText } from '../data/text_checks.js';
import { REWARD_COLUMNS } from '../rewards/registry.js';
import { REFERENCE_COLUMN } from '../rewards/routing.js';

interface Problem {
  id: string;
  question: string;
  row: Record<string, unknown>;
  file: string;
  line: number;
  index: number;
}

export type DropReason = 'truncated' | 'malformed' | 'mixed_language' | 'false_equation' | 'wrong' | 'too_long' | 'unjudged';
export type Outcome = 'kept' | 'no_correct' | 'no_correct_original' | 'contaminated';

export interface LedgerEntry {
  problem_id: string;
  status: Outcome;
  samples: number;
  correct: number;
  dropped: Partial<Record<DropReason, number>>;
  kept_length?: number | null;
  original_length?: number | null;
  overlap?: number;
}

export interface GenDataSummary {
  problems: number;
  outcomes: Record<Outcome, number>;
  dropped: Record<DropReason, number>;
  rows: number;
  /** Mean tokens of the kept teacher responses and of the original responses (where known). */
  meanTeacherLength: number | null;
  meanOriginalLength: number | null;
  /** Correct teacher samples over all teacher samples of judged problems. */
  teacherAccuracy: number | null;
  resumedFrom: number;
  removedOrphanRows: number;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * A problem's seed, from the run's seed and the problem's id only (never its position or a call
 * counter), so a resumed or reordered run samples each problem as the uninterrupted one did;
 * its teacher calls and picks derive from it (seedFrom(problemSeed, 0 | 1 | 2 | 3)).
 */
export function problemSeed(cfg: { seed: number }, p: { id: string }): number {
  return seedFrom(cfg.seed, parseInt(sha(p.id).slice(0, 12), 16));
}

async function loadProblems(cfg: GenDataConfig): Promise<{ problems: Problem[]; duplicates: number }> {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const file of cfg.prompts) {
    for await (const r of readRows(file)) {
      if (cfg.limit > 0 && problems.length >= cfg.limit) break;
      const question = rowQuestion(r.data);
      if (question === null) throw new DataError(r.file, r.line, "needs 'question', 'problem', 'prompt' or user 'messages'", 'question');
      const rawId = r.data['id'];
      const id = typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : sha(question).slice(0, 16);
      if (seen.has(id)) {
        duplicates++;
        continue;
      }
      seen.add(id);
      problems.push({ id, question, row: r.data, file: r.file, line: r.line, index: problems.length });
    }
  }
  if (problems.length === 0) throw new Error(`gen-data: no problems in ${cfg.prompts.join(', ')}`);
  // a verifier named outright needs its column on every row (else every sample is unjudged, and dropped)
  const needs = cfg.verifier === 'judge' ? [REFERENCE_COLUMN, 'answer'] : (REWARD_COLUMNS[cfg.verifier] ?? []); // the judge reads reference, else answer
  const lacking = needs.length ? problems.filter((p) => needs.every((c) => p.row[c] === undefined || p.row[c] === null)) : [];
  if (lacking.length) {
    const p = lacking[0]!;
    throw new DataError(
      p.file,
      p.line,
      `is missing: verifier '${cfg.verifier}' reads it (${lacking.length} of ${problems.length} problems lack it; verifier: auto picks per row)`,
      needs.join("' or '"),
    );
  }
  return { problems, duplicates };
}

/** The verifier of a problem under the config ('none' keeps every well-formed sample). */
function verifierFor(cfg: GenDataConfig, p: Problem, judge: RewardFn | null): RewardFn | null {
  const has = (k: string) => p.row[k] !== undefined && p.row[k] !== null;
  const kind =
    cfg.verifier === 'auto' ? (has('answer') ? 'math' : has('tests') ? 'code' : has('reference') ? 'judge' : 'none') : cfg.verifier;
  if (kind === 'none') return null;
  if (kind === 'judge') {
    if (!judge)
      throw new DataError(
        p.file,
        p.line,
        "the row is judged against its free-form reference but no judge is configured (set 'judge')",
        'reference',
      );
    return judge;
  }
  const column = kind === 'math' ? 'answer' : 'tests';
  if (!has(column)) throw new DataError(p.file, p.line, `verifier '${kind}' needs the '${column}' column`, column);
  return BUILTIN_REWARDS[kind]!;
}

/** Whether every integer equation "a op b = c" in the text is true (division must be exact). */
export function equationsHold(text: string): boolean {
  return checkSteps(text, '').every((step) => step.value === step.c);
}

interface Candidate {
  text: string;
  length: number | null;
  finish: string;
}

/** The samples that survive the rules, and why the others did not. */
async function screen(
  cfg: GenDataConfig,
  p: Problem,
  r: ChatResult,
  verify: RewardFn | null,
  teacherRules: boolean,
): Promise<{ correct: Candidate[]; dropped: Partial<Record<DropReason, number>> }> {
  const dropped: Partial<Record<DropReason, number>> = {};
  const drop = (why: DropReason) => {
    dropped[why] = (dropped[why] ?? 0) + 1;
  };
  const correct: Candidate[] = [];
  for (let i = 0; i < r.texts.length; i++) {
    const c: Candidate = { text: r.texts[i]!, length: r.lengths[i] ?? null, finish: r.finishReasons[i] ?? 'stop' };
    if (c.finish === 'length' && cfg.drop_truncated) {
      drop('truncated');
      continue;
    }
    if (
      (teacherRules && cfg.require_think && thinkFormat(c.text) === 0) ||
      (cfg.require_boxed && lastBoxed(c.text) === null) ||
      c.text.trim() === '' ||
      checkRowText({ text: c.text }, false) !== null // control characters or a lone surrogate: the data readers would refuse the row
    ) {
      drop('malformed');
      continue;
    }
    if (cfg.language && languageConsistency(c.text, cfg.language) < cfg.min_language_share) {
      drop('mixed_language');
      continue;
    }
    if (cfg.check_equations && !equationsHold(c.text)) {
      drop('false_equation');
      continue;
    }
    if (verify) {
      const v = await verify({ prompt: p.question, completion: c.text, completionTokens: c.length ?? undefined, example: p.row });
      if (v === null) {
        drop('unjudged');
        continue;
      }
      if (v < 1) {
        drop('wrong');
        continue;
      }
    }
    if (cfg.max_response_tokens > 0 && c.length !== null && c.length > cfg.max_response_tokens) {
      drop('too_long');
      continue;
    }
    correct.push(c);
  }
  return { correct, dropped };
}

function pick(cfg: GenDataConfig, cs: readonly Candidate[], seed: number): Candidate {
  if (cfg.keep === 'first') return cs[0]!;
  if (cfg.keep === 'random') return cs[Math.abs(seed) % cs.length]!;
  return cs.reduce((best, c) => ((c.length ?? c.text.length) < (best.length ?? best.text.length) ? c : best));
}

export interface GenDataHooks {
  quiet?: boolean;
  log?: (line: string) => void;
  onProblem?: (done: number, total: number) => void;
}

/** gen-data into cfg.output, which one process writes at a time (`<output>.lock` beside it). */
export async function generateData(cfg: GenDataConfig, hooks: GenDataHooks = {}): Promise<GenDataSummary> {
  mkdirSync(dirname(cfg.output) || '.', { recursive: true });
  const lock = acquireLock(dirname(cfg.output) || '.', `gen-data output ${cfg.output}`, `${basename(cfg.output)}.lock`);
  try {
    return await generateInto(cfg, hooks);
  } finally {
    lock.release();
  }
}

async function generateInto(cfg: GenDataConfig, hooks: GenDataHooks): Promise<GenDataSummary> {
  const log =
    hooks.log ??
    ((l: string) => {
      if (!hooks.quiet) process.stderr.write(`${l}\n`);
    });
  if (cfg.original_column === null && cfg.samples_per_prompt < 1) throw new Error('gen-data: samples_per_prompt must be at least 1');
  const ledgerFile = `${cfg.output}.ledger.jsonl`,
    summaryFile = `${cfg.output}.summary.json`;
  const { problems, duplicates } = await loadProblems(cfg);
  if (duplicates) log(`gen-data: ${duplicates} problem(s) repeat an earlier id and are skipped`);

  // ---- resume: the ledger says what is done; rows without a ledger line are removed and redone
  const ledger = readJsonlTolerant<LedgerEntry>(ledgerFile, { repair: true });
  if (ledger.tornTail) log(`gen-data: cut a torn last line from ${ledgerFile}`);
  const done = new Map(ledger.rows.map((e) => [e.problem_id, e]));
  const out = readJsonlTolerant<Record<string, unknown>>(cfg.output, { repair: true });
  const orphans = out.rows.filter((r) => !done.has(String(r['problem_id'])));
  if (orphans.length || out.tornTail) {
    writeFileAtomically(
      cfg.output,
      out.rows
        .filter((r) => done.has(String(r['problem_id'])))
        .map((r) => JSON.stringify(r) + '\n')
        .join(''),
    );
    log(
      `gen-data: removed ${orphans.length} row(s)${out.tornTail ? ' and a torn line' : ''} whose problems never reached the ledger (a kill mid-write); they are generated again`,
    );
  }
  if (done.size) log(`gen-data: resuming — ${done.size} of ${problems.length} problems already done`);

  const index: NgramIndex | null = cfg.decontaminate.length ? await evaluationIndex(cfg.decontaminate, cfg.ngram) : null;
  const teacherTokenizer = cfg.tokenizer ? Tokenizer.fromDir(cfg.tokenizer) : null;
  // counts the original responses' tokens, as the teacher's are counted
  const counter = teacherTokenizer ?? (isUrl(cfg.teacher) ? null : Tokenizer.fromDir(cfg.teacher));
  const resumedFrom = done.size;
  if (!existsSync(cfg.output)) writeFileAtomically(cfg.output, ''); // exists even when nothing is kept
  const teacher: ChatBackend = openChatBackend({
    source: cfg.teacher,
    model: cfg.teacher_model,
    apiKeyEnv: cfg.api_key_env,
    tokenizer: teacherTokenizer,
    local: { batchSize: cfg.batch_size, device: cfg.device },
    field: "config field 'teacher'",
  });
  let judgeBackend: ChatBackend | null = null;
  try {
    let judge: RewardFn | null = null;
    if (cfg.judge !== null) {
      judgeBackend = openChatBackend({
        source: cfg.judge,
        model: cfg.judge_model,
        apiKeyEnv: cfg.api_key_env,
        local: { device: cfg.device },
        field: "config field 'judge'",
      });
      judge = judgeReward(backendJudge(judgeBackend, { maxTokens: cfg.judge_max_tokens, temperature: 0, seed: cfg.seed }), {
        mode: 'reference',
      });
    }
    log(
      `gen-data: ${problems.length} problems, teacher ${teacher.description}, ${cfg.samples_per_prompt} samples each at T ${cfg.temperature}, keep ${cfg.keep} correct` +
        `${index ? `, decontaminated against ${index.texts} evaluation questions (${cfg.ngram}-grams, share ≥ ${cfg.contamination_threshold})` : ''}`,
    );
    const systemSha = sha(cfg.system_prompt).slice(0, 12);
    const todo = problems.filter((p) => !done.has(p.id));
    let finished = problems.length - todo.length;
    for (let i = 0; i < todo.length; i += cfg.prompts_per_batch) {
      const chunk = todo.slice(i, i + cfg.prompts_per_batch);
      const ask = (p: Problem, system: boolean): Promise<ChatResult> =>
        teacher.chat({
          messages: [...(system ? [{ role: 'system' as const, content: cfg.system_prompt }] : []), { role: 'user', content: p.question }],
          n: cfg.samples_per_prompt,
          maxTokens: cfg.max_tokens,
          temperature: cfg.temperature,
          topP: cfg.top_p,
          seed: seedFrom(problemSeed(cfg, p), system ? 0 : 1),
        });
      const overlaps = chunk.map((p) => (index ? index.overlap(p.question) : 0));
      const clean = (j: number) => overlaps[j]! < cfg.contamination_threshold || !index;
      const answers = await Promise.all(
        chunk.map((p, j) => (clean(j) ? Promise.all([ask(p, true), cfg.original_column === null ? ask(p, false) : null]) : null)),
      );
      for (let j = 0; j < chunk.length; j++) {
        const p = chunk[j]!;
        const entry = await settle(cfg, p, answers[j] ?? null, overlaps[j]!, judge, teacher, systemSha, counter);
        appendDurably(cfg.output, entry.rows);
        appendDurably(ledgerFile, [entry.ledger]);
        done.set(p.id, entry.ledger);
        hooks.onProblem?.(++finished, problems.length);
      }
    }
  } finally {
    teacher.dispose();
    judgeBackend?.dispose();
  }
  const summary = summarise([...done.values()], readJsonlTolerant<Record<string, unknown>>(cfg.output).rows, resumedFrom, orphans.length);
  writeFileAtomically(summaryFile, JSON.stringify(summary, null, 2) + '\n');
  log(
    `gen-data: ${summary.outcomes.kept} kept, ${summary.outcomes.no_correct} without a correct sample, ${summary.outcomes.contaminated} contaminated; ${summary.rows} rows in ${cfg.output}`,
  );
  return summary;
}

/** One problem's outcome: its rows (both sample types, or none) and its ledger line. */
async function settle(
  cfg: GenDataConfig,
  p: Problem,
  answers: [ChatResult, ChatResult | null] | null,
  overlap: number,
  judge: RewardFn | null,
  teacher: ChatBackend,
  systemSha: string,
  counter: Tokenizer | null,
): Promise<{ rows: Record<string, unknown>[]; ledger: LedgerEntry }> {
  if (answers === null)
    return { rows: [], ledger: { problem_id: p.id, status: 'contaminated', samples: 0, correct: 0, dropped: {}, overlap } };
  const verify = verifierFor(cfg, p, judge);
  const [withSystem, plain] = answers;
  const t = await screen(cfg, p, withSystem, verify, true);
  const base: LedgerEntry = {
    problem_id: p.id,
    status: 'kept',
    samples: withSystem.texts.length,
    correct: t.correct.length,
    dropped: t.dropped,
  };
  if (t.correct.length === 0) return { rows: [], ledger: { ...base, status: 'no_correct' } };
  const kept = pick(cfg, t.correct, seedFrom(problemSeed(cfg, p), 2));
  let original: { text: string; length: number | null; from: string };
  if (cfg.original_column !== null) {
    const v = p.row[cfg.original_column];
    if (typeof v !== 'string' || v.trim() === '')
      throw new DataError(
        p.file,
        p.line,
        `the original response column '${cfg.original_column}' must be a non-empty string (or set original_column: null)`,
        cfg.original_column,
      );
    original = { text: v, length: counter ? counter.encode(v).length : null, from: `column ${cfg.original_column}` };
  } else {
    const o = await screen(cfg, p, plain!, verify, false);
    if (o.correct.length === 0) return { rows: [], ledger: { ...base, status: 'no_correct_original' } };
    const c = pick(cfg, o.correct, seedFrom(problemSeed(cfg, p), 3));
    original = { text: c.text, length: c.length, from: 'teacher without the system prompt' };
  }
  const carried = Object.fromEntries(
    ['answer', 'reference', 'tests', 'language', 'kind'].filter((k) => p.row[k] !== undefined).map((k) => [k, p.row[k]]),
  );
  const provenance = {
    teacher: teacher.description,
    source: `${p.file}:${p.line}`,
    verifier: verify ? cfg.verifier : 'none',
    samples: withSystem.texts.length,
    correct: t.correct.length,
    keep: cfg.keep,
    temperature: cfg.temperature,
    top_p: cfg.top_p,
    seed: problemSeed(cfg, p),
    system_prompt_sha256: systemSha,
    created_at: new Date().toISOString(),
  };
  const user: ChatMessage = { role: 'user', content: p.question };
  const rows = [
    {
      messages: [user, { role: 'assistant', content: original.text }],
      sample_type: 'original',
      problem_id: p.id,
      ...carried,
      length_tokens: original.length,
      provenance: { ...provenance, original: original.from },
    },
    {
      messages: [{ role: 'system', content: cfg.system_prompt }, user, { role: 'assistant', content: kept.text }],
      sample_type: 'teacher',
      problem_id: p.id,
      ...carried,
      length_tokens: kept.length,
      provenance,
    },
  ];
  return { rows, ledger: { ...base, kept_length: kept.length, original_length: original.length } };
}

function summarise(
  entries: readonly LedgerEntry[],
  rows: readonly Record<string, unknown>[],
  resumedFrom: number,
  removed: number,
): GenDataSummary {
  const outcomes: Record<Outcome, number> = { kept: 0, no_correct: 0, no_correct_original: 0, contaminated: 0 };
  const dropped: Record<DropReason, number> = {
    truncated: 0,
    malformed: 0,
    mixed_language: 0,
    false_equation: 0,
    wrong: 0,
    too_long: 0,
    unjudged: 0,
  };
  let samples = 0,
    correct = 0;
  for (const e of entries) {
    outcomes[e.status]++;
    for (const [k, v] of Object.entries(e.dropped)) dropped[k as DropReason] += v ?? 0;
    if (e.status !== 'contaminated') {
      samples += e.samples;
      correct += e.correct;
    }
  }
  const meanOf = (xs: (number | null | undefined)[]) => {
    const v = xs.filter((x): x is number => typeof x === 'number');
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
  };
  return {
    problems: entries.length,
    outcomes,
    dropped,
    rows: rows.length,
    meanTeacherLength: meanOf(entries.map((e) => e.kept_length)),
    meanOriginalLength: meanOf(entries.map((e) => e.original_length)),
    teacherAccuracy: samples ? correct / samples : null,
    resumedFrom,
    removedOrphanRows: removed,
  };
}
