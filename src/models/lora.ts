// LoRA adapters on a CausalLM, in PEFT's layout: attach to the Linear layers whose name matches
// target_modules, train only the adapters, merge them into the base weights, and save/load
// adapter_config.json + adapter_model.safetensors with PEFT's key names
// (base_model.model.<module path>.lora_A.weight), so PEFT and vLLM take the adapter as it is.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as pt from '../tensor/index.js';
import { ArgumentError, type Generator, type Tensor } from '../tensor/index.js';
import { Linear } from '../nn/layers.js';
import { readSafetensors, writeSafetensors } from '../checkpoint/index.js';
import { readJson, writeFileAtomically } from '../common/files.js';
import { checkOptions, type OptionSpecs } from '../common/options.js';
import type { CausalLM } from './decoder.js';

export interface LoraConfig {
  r: number;
  alpha: number;
  dropout: number;
  /** Last path component of the Linear layers to adapt, e.g. ['q_proj', 'v_proj']. */
  targetModules: readonly string[];
}

export const DEFAULT_LORA: LoraConfig = {
  r: 8,
  alpha: 16,
  dropout: 0.05,
  targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
};

/** The fields of a LoraConfig, checked at applyLora and saveAdapter (a misspelt one is refused with a did-you-mean). */
export const LORA_OPTIONS: OptionSpecs = {
  r: { type: 'int', min: 1, required: true, doc: 'the adapter rank, e.g. 8', aka: ['rank', 'lora_r'] },
  alpha: { type: 'number', required: true, doc: 'the scale numerator (updates scale by alpha / r), e.g. 16', aka: ['lora_alpha'] },
  dropout: { type: 'number', min: 0, below: 1, required: true, doc: 'dropout on the adapter input, e.g. 0.05', aka: ['lora_dropout'] },
  targetModules: {
    type: 'strings',
    required: true,
    doc: "last path component of the Linear layers to adapt, e.g. ['q_proj', 'v_proj']",
    aka: ['lora_target_modules', 'target_modules', 'targets', 'modules'],
  },
};

const PEFT_PREFIX = 'base_model.model.';

/** Module paths of the Linear layers that carry a LoRA adapter (empty when none is attached). */
export function loraLayers(model: CausalLM): string[] {
  return model
    .namedModules()
    .filter(([, m]) => m instanceof Linear && m.lora !== null)
    .map(([p]) => p);
}

/** The Linear layers a config targets, by module path. */
function targets(model: CausalLM, c: LoraConfig): [string, Linear][] {
  const found = model
    .namedModules()
    .filter(([path, m]) => m instanceof Linear && c.targetModules.includes(path.split('.').pop()!) && !path.includes('.lora_')) as [
    string,
    Linear,
  ][];
  if (found.length === 0) throw new ArgumentError('lora', `no Linear layer matches target_modules [${c.targetModules.join(', ')}]`);
  return found;
}

/** Attaches adapters, freezes every base parameter, and returns the adapted module paths. */
export function applyLora(model: CausalLM, c: LoraConfig, generator?: Generator): string[] {
  checkOptions('applyLora', c, LORA_OPTIONS);
  model.freeze();
  const adapted = targets(model, c);
  for (const [, lin] of adapted) lin.attachLora({ r: c.r, alpha: c.alpha, dropout: c.dropout }, generator);
  return adapted.map(([p]) => p);
}

/** Folds every adapter into its base weight and removes it. */
export function mergeLora(model: CausalLM): void {
  for (const [, m] of model.namedModules()) if (m instanceof Linear) m.mergeLora();
}

/**
 * Runs fn with every adapter switched off, so the model computes its base (PEFT's
 * disable_adapter): a LoRA policy's frozen reference without a second copy of the weights.
 */
export function withAdaptersDisabled<T>(model: CausalLM, fn: () => T): T {
  const layers = model
    .namedModules()
    .map(([, m]) => m)
    .filter((m): m is Linear => m instanceof Linear && m.lora !== null);
  for (const l of layers) l.loraEnabled = false;
  try {
    return fn();
  } finally {
    for (const l of layers) l.loraEnabled = true;
  }
}

/**
 * The base-layout state dict (no lora_A / lora_B keys) of what the model computes: each adapted
 * weight is W + (alpha / r) · B A, computed into new tensors; the model is left as it is. The
 * caller owns (and disposes) the returned tensors that are new; unadapted entries are the model's own.
 */
export function mergedStateDict(model: CausalLM): { weights: Map<string, Tensor>; created: Tensor[] } {
  const adapted = new Map(model.namedModules().filter(([, m]) => m instanceof Linear && m.lora !== null) as [string, Linear][]);
  const weights = new Map<string, Tensor>(),
    created: Tensor[] = [];
  const sd = model.stateDict();
  for (const [key, t] of sd) {
    if (key.includes('.lora_A.') || key.includes('.lora_B.')) continue;
    const path = key.endsWith('.weight') ? key.slice(0, -'.weight'.length) : '';
    const lin = adapted.get(path);
    if (!lin) {
      weights.set(key, t);
      continue;
    }
    const s = lin.lora!;
    const merged = pt.noGrad(() =>
      pt.scope(() => {
        const delta = sd
          .get(`${path}.lora_B.weight`)!
          .matmul(sd.get(`${path}.lora_A.weight`)!)
          .mul(s.alpha / s.r); // (out, in)
        return t.add(delta.to(t.dtype));
      }),
    );
    weights.set(key, merged);
    created.push(merged);
  }
  return { weights, created };
}

/** Writes adapter_config.json and adapter_model.safetensors (adapter weights only). */
export function saveAdapter(model: CausalLM, dir: string, c: LoraConfig, baseModel = ''): void {
  checkOptions('saveAdapter', c, LORA_OPTIONS);
  const weights = new Map(
    [...model.stateDict()].filter(([k]) => k.includes('.lora_A.') || k.includes('.lora_B.')).map(([k, t]) => [PEFT_PREFIX + k, t]),
  );
  if (weights.size === 0) throw new ArgumentError('saveAdapter', 'the model has no LoRA adapter attached');
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'adapter_model.safetensors'), weights, { format: 'pt' });
  writeFileAtomically(
    join(dir, 'adapter_config.json'),
    JSON.stringify(
      {
        peft_type: 'LORA',
        task_type: 'CAUSAL_LM',
        base_model_name_or_path: baseModel,
        r: c.r,
        lora_alpha: c.alpha,
        lora_dropout: c.dropout,
        target_modules: [...c.targetModules],
        bias: 'none',
        fan_in_fan_out: false,
        inference_mode: true,
        init_lora_weights: true,
        modules_to_save: null,
        use_rslora: false,
        use_dora: false,
        rank_pattern: {},
        alpha_pattern: {},
        layers_to_transform: null,
        layers_pattern: null,
        revision: null,
      },
      null,
      2,
    ) + '\n',
  );
}

/** Reads a PEFT adapter folder, attaches it to `model` and loads its weights. */
export function loadAdapter(model: CausalLM, dir: string): LoraConfig {
  const file = join(dir, 'adapter_config.json');
  const raw = readJson(file, 'adapter config') as Record<string, unknown>;
  if (raw['peft_type'] !== 'LORA')
    throw new ArgumentError('loadAdapter', `${file}: peft_type must be "LORA", got ${JSON.stringify(raw['peft_type'])}`);
  if (raw['use_dora'] === true || raw['use_rslora'] === true)
    throw new ArgumentError('loadAdapter', `${file}: DoRA / rsLoRA adapters are not supported`);
  const tm = raw['target_modules'];
  const c: LoraConfig = {
    r: Number(raw['r']),
    alpha: Number(raw['lora_alpha']),
    dropout: Number(raw['lora_dropout'] ?? 0),
    targetModules: Array.isArray(tm) ? tm.map(String) : typeof tm === 'string' ? [tm] : [],
  };
  applyLora(model, c);
  const { tensors } = readSafetensors(join(dir, 'adapter_model.safetensors'));
  const weights = new Map(
    [...tensors].map(([k, t]) => [k.startsWith(PEFT_PREFIX) ? k.slice(PEFT_PREFIX.length).replace('.default.', '.') : k, t]),
  );
  const expected = new Map([...model.stateDict()].filter(([k]) => k.includes('.lora_')));
  try {
    const missing = [...expected.keys()].filter((k) => !weights.has(k));
    const extra = [...weights.keys()].filter((k) => !expected.has(k));
    if (missing.length || extra.length) {
      throw new ArgumentError(
        'loadAdapter',
        `${dir}/adapter_model.safetensors: keys do not match the model (missing ${missing.slice(0, 4).join(', ') || 'none'}; unexpected ${extra.slice(0, 4).join(', ') || 'none'})`,
      );
    }
    model.loadStateDict(weights, { strict: false, source: dir });
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
  return c;
}
