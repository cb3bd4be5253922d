// Where a model trains and in what precision, from a trainer's settings: the device ('auto' picks
// the first GPU the linked libtorch sees, else the CPU), and mixed precision as AMP does it — `bf16`
// or `fp16` compute in half precision while the parameters (master weights) and the optimizer state
// stay float32 — checked before anything is allocated. Pure half-precision parameters (`dtype:
// bfloat16`) are a separate, explicit choice: there, updates smaller than bfloat16's spacing are lost.
import { checkDevice, devices, DeviceError, ArgumentError, type DType, type Device } from '../tensor/index.js';
import type { FieldSpec } from '../common/schema.js';
import type { CausalLM } from './decoder.js';

/** The `device` setting of every trainer and tool (config field spec). */
export const DEVICE_FIELD = {
  type: 'string',
  default: 'auto',
  doc: "where the model runs: 'cpu', 'cuda', 'cuda:N', or 'auto' (the first GPU the linked libtorch sees, else the CPU)",
} as const satisfies FieldSpec;

export interface PlacementSettings {
  device: string;
  bf16: boolean;
  fp16: boolean;
  /** The parameters' dtype (float32 unless pure half precision is asked for). */
  dtype?: string;
}

export interface Placement {
  device: Device;
  /** The autocast dtype, or null: compute in the parameters' dtype. */
  compute: DType | null;
}

/** 'auto' → 'cuda:0' when libtorch sees a GPU, else 'cpu'; anything else is checked. */
export function resolveDevice(setting: string, where: string): Device {
  if (setting === 'auto') return devices().find((d) => d.startsWith('cuda')) ?? 'cpu';
  return checkDevice(setting, where);
}

/** Validates the combination and resolves the device. `where` names the config in messages. */
export function resolvePlacement(s: PlacementSettings, where: string): Placement {
  const device = resolveDevice(s.device, `${where} field 'device'`);
  if (s.bf16 && s.fp16) throw new ArgumentError(where, 'bf16 and fp16 are both true: choose one mixed-precision dtype');
  if ((s.bf16 || s.fp16) && s.dtype !== undefined && s.dtype !== 'float32')
    throw new ArgumentError(
      where,
      `${s.bf16 ? 'bf16' : 'fp16'}: true keeps float32 master weights, but dtype is ${s.dtype} (pure half precision): set one of them`,
    );
  if (s.fp16 && device === 'cpu')
    throw new DeviceError(
      `${where} field 'fp16'`,
      "fp16 needs a CUDA device: libtorch's CPU kernels have no float16 matmul (addmm_impl_cpu_ is not implemented for 'Half'); use bf16 on the CPU",
    );
  return { device, compute: s.bf16 ? 'bfloat16' : s.fp16 ? 'float16' : null };
}

/** Moves the model to the device and sets its compute dtype. */
export function placeModel<M extends CausalLM>(model: M, p: Placement): M {
  if (p.device !== 'cpu') model.to(p.device);
  model.autocast(p.compute);
  return model;
}
