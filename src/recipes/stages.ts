// The recipe's stage runner: a list of named stages, each of a kind (a trainer, data generation,
// the annotation gate, evaluation, …) with its config, run in order inside one run folder. A stage
// refers to an earlier stage's output as "${name}" (a model folder or a data file). Caching and
// resume: a finished stage writes <out>/<name>/stage.json (atomically, last) with its output and a
// fingerprint of its resolved config and of the stages it depends on; a rerun skips a stage whose
// fingerprint matches and runs it otherwise — a stage killed midway resumes from its own
// checkpoints (trainers) or ledger (gen-data), and a changed stage reruns everything after it
// that reads it. A stage may also stop the run on purpose (the annotation gate waiting for people).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomically } from '../common/files.js';

export interface StageSpec {
  name: string;
  kind: string;
  config: Record<string, unknown>;
}

export interface StageContext {
  /** The stage's own folder: <out>/<name>. */
  dir: string;
  out: string;
  name: string;
  log: (line: string) => void;
  /** Where the config came from, for error messages: "recipe.yaml stage 'sft'". */
  where: string;
  /** Outputs of the stages before, by name. */
  outputs: Record<string, string>;
}

export interface StageResult {
  /** What "${name}" means to later stages: a model folder or a data file. */
  output: string;
  /** Numbers for the summary / report (accuracy, lengths, counts). */
  metrics?: Record<string, unknown>;
}

export type StageKind = (config: Record<string, unknown>, ctx: StageContext) => Promise<StageResult>;

/** Thrown by a stage that stops the run on purpose (e.g. items waiting for annotation). */
export class StageWaiting extends Error {}

export interface StageRecord {
  name: string;
  kind: string;
  output: string;
  fingerprint: string;
  metrics: Record<string, unknown>;
  seconds: number;
  finishedAt: string;
}

export interface RunReport {
  out: string;
  stages: (StageRecord & { cached: boolean })[];
  waiting: { stage: string; message: string } | null;
}

const REF = /\$\{([A-Za-z0-9_.-]+)\}/g;

/** Replaces "${name}" in every string of a config with that stage's output; records the names used. */
export function resolveRefs(value: unknown, outputs: Record<string, string>, where: string, used: Set<string>): unknown {
  if (typeof value === 'string') {
    return value.replace(REF, (_, name: string) => {
      if (!(name in outputs))
        throw new Error(`${where}: '\${${name}}' names no earlier stage (known: ${Object.keys(outputs).join(', ') || 'none'})`);
      used.add(name);
      return outputs[name]!;
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, outputs, where, used));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(v, outputs, where, used)]));
  return value;
}

export function stageRecordFile(out: string, name: string): string {
  return join(out, name, 'stage.json');
}

export async function runStages(
  out: string,
  specs: readonly StageSpec[],
  kinds: Record<string, StageKind>,
  o: { log: (line: string) => void; source?: string },
): Promise<RunReport> {
  const names = new Set<string>();
  specs.forEach((s, i) => {
    const where = `${o.source ?? 'recipe'}: stages[${i}]`;
    if (typeof s.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(s.name))
      throw new Error(`${where}: 'name' must be letters, digits, '-', '_' or '.', got ${JSON.stringify(s.name)}`);
    if (names.has(s.name)) throw new Error(`${where}: the name '${s.name}' is used twice`);
    if (!(s.kind in kinds)) throw new Error(`${where} ('${s.name}'): unknown kind '${s.kind}' (known: ${Object.keys(kinds).join(', ')})`);
    names.add(s.name);
  });
  mkdirSync(out, { recursive: true });
  const outputs: Record<string, string> = {};
  const fingerprints: Record<string, string> = {};
  const report: RunReport = { out, stages: [], waiting: null };
  for (const spec of specs) {
    const where = `${o.source ?? 'recipe'} stage '${spec.name}'`;
    const used = new Set<string>();
    const config = resolveRefs(spec.config ?? {}, outputs, where, used) as Record<string, unknown>;
    const fingerprint = createHash('sha256')
      .update(JSON.stringify({ kind: spec.kind, config, upstream: [...used].sort().map((n) => fingerprints[n]) }))
      .digest('hex')
      .slice(0, 16);
    const recordFile = stageRecordFile(out, spec.name);
    const previous = existsSync(recordFile) ? (JSON.parse(readFileSync(recordFile, 'utf8')) as StageRecord) : null;
    if (previous && previous.fingerprint === fingerprint && existsSync(previous.output)) {
      o.log(`stage ${spec.name} (${spec.kind}): done earlier — ${previous.output}`);
      outputs[spec.name] = previous.output;
      fingerprints[spec.name] = fingerprint;
      report.stages.push({ ...previous, cached: true });
      continue;
    }
    const dir = join(out, spec.name);
    const startedFile = join(dir, 'stage.started.json');
    const started = existsSync(startedFile) ? (JSON.parse(readFileSync(startedFile, 'utf8')) as { fingerprint: string }).fingerprint : null;
    if ((previous && previous.fingerprint !== fingerprint) || (started !== null && started !== fingerprint)) {
      // another config's outputs and checkpoints must not be resumed from: keep them aside, never delete
      const aside = `${dir}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(dir, aside);
      o.log(
        `stage ${spec.name} (${spec.kind}): its config or inputs changed since it ran — the earlier run moved to ${aside}, running it again`,
      );
    } else if (started !== null && !previous) {
      o.log(`stage ${spec.name} (${spec.kind}): continuing an interrupted run`);
    }
    mkdirSync(dir, { recursive: true });
    writeFileAtomically(startedFile, JSON.stringify({ fingerprint, startedAt: new Date().toISOString() }) + '\n');
    o.log(`stage ${spec.name} (${spec.kind}) …`);
    const t0 = performance.now();
    let result: StageResult;
    try {
      result = await kinds[spec.kind]!(config, { dir, out, name: spec.name, log: o.log, where, outputs: { ...outputs } });
    } catch (e) {
      if (e instanceof StageWaiting) {
        report.waiting = { stage: spec.name, message: e.message };
        o.log(`stage ${spec.name}: waiting — ${e.message}`);
        return report;
      }
      throw new Error(`${where} (${spec.kind}) failed: ${(e as Error).message}`, { cause: e });
    }
    const record: StageRecord = {
      name: spec.name,
      kind: spec.kind,
      output: result.output,
      fingerprint,
      metrics: result.metrics ?? {},
      seconds: (performance.now() - t0) / 1000,
      finishedAt: new Date().toISOString(),
    };
    writeFileAtomically(recordFile, JSON.stringify(record, null, 2) + '\n');
    outputs[spec.name] = result.output;
    fingerprints[spec.name] = fingerprint;
    report.stages.push({ ...record, cached: false });
    o.log(`stage ${spec.name}: done in ${record.seconds.toFixed(0)} s — ${result.output}`);
  }
  return report;
}

/** Each stage of a run as report.html lists it: absolute folder and metrics file (null without one). */
export function stageSummaries(
  run: RunReport,
): { name: string; kind: string; dir: string; seconds: number; metricsFile: string | null; note: string | null }[] {
  return run.stages.map((st) => {
    const dir = resolve(run.out, st.name),
      metrics = join(dir, 'metrics.jsonl');
    return {
      name: st.name,
      kind: st.kind,
      dir,
      seconds: st.seconds,
      metricsFile: existsSync(metrics) ? metrics : null,
      note: st.cached ? 'done in an earlier run' : null,
    };
  });
}
