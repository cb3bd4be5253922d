// Training checkpoints: run/checkpoints/step-00000042/ is a Hugging Face model folder (loadModel
// reads it as is) plus what exact resume needs — optimizer.safetensors (moment tensors, the default
// RNG state) and trainer_state.json (step, data position, optimizer hyperparameters, counters) —
// and, with LoRA, the adapter in PEFT layout under adapter/. A trainer whose model has its own
// folder layout (the reward model's sequence classifier) passes saveModelFolder to write it instead,
// so the checkpoint loads with that model's loader. A checkpoint is built in a temporary
// folder and renamed into place, so a crash or kill mid-write leaves the previous ones intact; the
// newest K are kept.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pt from '../tensor/index.js';
import type { AdamW, OptimizerStateDict } from '../optim/index.js';
import type { SamplerState } from '../data/index.js';
import { readSafetensors, writeSafetensors, TOKENIZER_FILES } from '../checkpoint/index.js';
import { fsyncDir, readJson, writeFileAtomically } from '../common/files.js';
import { saveModel, type CausalLM } from '../models/index.js';
import { saveAdapter, loadAdapter, mergeLora, type LoraConfig } from '../models/lora.js';

export interface TrainerState {
  step: number;
  epoch: number;
  sampler: SamplerState;
  tokensSeen: number;
  optimizer: { kind: string; paramGroups: OptimizerStateDict['paramGroups']; steps: Record<string, number> };
  /** Free-form facts the trainer wants back (e.g. the config it ran with). */
  extra: Record<string, unknown>;
}

const STEP_DIR = /^step-(\d{8})$/;

/**
 * Test hook: with POSTTRAIN_TEST_CHECKPOINT_PAUSE_MS set, a save stops halfway (weights written,
 * optimizer state and trainer state not yet) and announces it with a `.paused` file, so a test can
 * SIGKILL the process exactly while a checkpoint is being written.
 */
function pauseForCrashTest(tmp: string): void {
  const ms = Number(process.env['POSTTRAIN_TEST_CHECKPOINT_PAUSE_MS'] ?? 0);
  if (!(ms > 0)) return;
  writeFileSync(join(tmp, '.paused'), String(process.pid));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The tokenizer files present in a folder, to copy into every saved model folder. */
export function tokenizerFiles(dir: string): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const name of TOKENIZER_FILES) if (existsSync(join(dir, name))) out[name] = readFileSync(join(dir, name));
  return out;
}

export function checkpointDir(runDir: string, step: number): string {
  return join(runDir, 'checkpoints', `step-${String(step).padStart(8, '0')}`);
}

export interface SaveCheckpointInput {
  model: CausalLM;
  optimizer: AdamW;
  state: Omit<TrainerState, 'optimizer'>;
  tokenizerFiles?: Record<string, string | Uint8Array>;
  generationConfig?: Record<string, unknown> | null;
  lora?: LoraConfig | null;
  /** More weight files written into the checkpoint as <name>.safetensors (e.g. GRPO's refreshed reference). */
  extraWeights?: Record<string, Map<string, pt.Tensor>>;
  /**
   * Writes the model folder into the given (not yet existing) folder instead of saveModel — for a
   * model saved in another layout (e.g. saveRewardModel's sequence classifier with score.weight).
   */
  saveModelFolder?: (dir: string) => void;
  keepLast: number;
}

export function saveCheckpoint(runDir: string, c: SaveCheckpointInput): string {
  const root = join(runDir, 'checkpoints');
  mkdirSync(root, { recursive: true });
  const final = checkpointDir(runDir, c.state.step);
  const tmp = join(root, `.tmp-step-${c.state.step}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  if (c.saveModelFolder) c.saveModelFolder(tmp);
  // with LoRA, the folder holds the base weights on purpose: the adapter goes into adapter/ below
  else
    saveModel(c.model, tmp, {
      generationConfig: c.generationConfig ?? null,
      tokenizerFiles: c.tokenizerFiles,
      ...(c.lora ? { lora: 'base' as const } : {}),
    });
  pauseForCrashTest(tmp);
  if (c.lora) saveAdapter(c.model, join(tmp, 'adapter'), c.lora);
  for (const [name, weights] of Object.entries(c.extraWeights ?? {})) writeSafetensors(join(tmp, `${name}.safetensors`), weights);
  const sd = c.optimizer.stateDict();
  const tensors = new Map<string, pt.Tensor>();
  const steps: Record<string, number> = {};
  for (const [idx, s] of Object.entries(sd.state)) {
    steps[idx] = s.step;
    for (const [name, t] of Object.entries(s.tensors)) tensors.set(`state.${idx}.${name}`, t);
  }
  const rng = pt.getRngState();
  tensors.set('rng.default', rng);
  try {
    writeSafetensors(join(tmp, 'optimizer.safetensors'), tensors);
  } finally {
    rng.dispose();
  }
  const state: TrainerState = { ...c.state, optimizer: { kind: sd.kind, paramGroups: sd.paramGroups, steps } };
  writeFileAtomically(join(tmp, 'trainer_state.json'), JSON.stringify(state, null, 2) + '\n');
  fsyncDir(tmp);
  if (existsSync(final)) rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final); // the commit point
  fsyncDir(root);
  pruneCheckpoints(runDir, c.keepLast);
  return final;
}

/**
 * The end of a run: `final/`, an HF model folder (with LoRA: `final-adapter/` first, saved against
 * `base`, then the adapters merged into the weights). Returns the final folder.
 */
export function saveFinalModel(
  model: CausalLM,
  runDir: string,
  o: {
    lora: LoraConfig | null;
    base?: string;
    generationConfig: Record<string, unknown> | null;
    tokenizerFiles: Record<string, Uint8Array>;
  },
): string {
  const finalDir = join(runDir, 'final');
  if (o.lora) {
    saveAdapter(model, join(runDir, 'final-adapter'), o.lora, o.base);
    mergeLora(model);
  }
  saveModel(model, finalDir, { generationConfig: o.generationConfig, tokenizerFiles: o.tokenizerFiles });
  return finalDir;
}

/** Complete checkpoints (those with trainer_state.json), oldest first; removes stale temp folders. */
export function listCheckpoints(runDir: string): { step: number; dir: string }[] {
  const root = join(runDir, 'checkpoints');
  if (!existsSync(root)) return [];
  const out: { step: number; dir: string }[] = [];
  for (const name of readdirSync(root)) {
    if (name.startsWith('.tmp-step-')) {
      // .tmp-step-<step>-<pid>, or a temp name made inside it while it is written (…-<pid>.tmp-…)
      const pid = Number(/^\.tmp-step-\d+-(\d+)/.exec(name)?.[1] ?? NaN);
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = pid !== process.pid;
      } catch {
        alive = false;
      } // another live process may be writing it
      if (!alive) {
        try {
          rmSync(join(root, name), { recursive: true, force: true });
        } catch {
          // written to while being removed: its writer is alive after all; it is left for the next look
        }
      }
      continue;
    }
    const m = STEP_DIR.exec(name);
    if (m && existsSync(join(root, name, 'trainer_state.json'))) out.push({ step: Number(m[1]), dir: join(root, name) });
  }
  return out.sort((a, b) => a.step - b.step);
}

function pruneCheckpoints(runDir: string, keepLast: number): void {
  const all = listCheckpoints(runDir);
  for (const c of all.slice(0, Math.max(0, all.length - keepLast))) rmSync(c.dir, { recursive: true, force: true });
}

export function latestCheckpoint(runDir: string): { step: number; dir: string } | null {
  return listCheckpoints(runDir).at(-1) ?? null;
}

/**
 * Restores optimizer state and the default RNG from a checkpoint folder, attaching and loading the
 * LoRA adapter first when there is one (the model must already hold the checkpoint's base weights).
 */
export function restoreTraining(
  dir: string,
  model: CausalLM,
  makeOptimizer: () => AdamW,
): { state: TrainerState; optimizer: AdamW; lora: LoraConfig | null } {
  const state = readJson(join(dir, 'trainer_state.json'), 'trainer state') as TrainerState;
  const lora = existsSync(join(dir, 'adapter', 'adapter_config.json')) ? loadAdapter(model, join(dir, 'adapter')) : null;
  const optimizer = makeOptimizer();
  const { tensors } = readSafetensors(join(dir, 'optimizer.safetensors'));
  try {
    const stateDict: OptimizerStateDict = { kind: state.optimizer.kind, paramGroups: state.optimizer.paramGroups, state: {} };
    for (const [idx, step] of Object.entries(state.optimizer.steps)) {
      const prefix = `state.${idx}.`;
      const named = Object.fromEntries([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, t]) => [k.slice(prefix.length), t]));
      stateDict.state[Number(idx)] = { step, tensors: named };
    }
    optimizer.loadStateDict(stateDict);
    const rng = tensors.get('rng.default');
    if (rng) pt.setRngState(rng);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
  return { state, optimizer, lora };
}
