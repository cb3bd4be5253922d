// The checkpoint layer's public surface: safetensors files, sharded weights, Hugging Face model folders.
export { CheckpointError } from './errors.js';
export {
  readSafetensorsHeader,
  readSafetensors,
  writeSafetensors,
  SAFETENSORS_DTYPE,
  DTYPE_TO_SAFETENSORS,
  MAX_HEADER_BYTES,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type SafetensorsReadOptions,
  type TensorsInput,
} from './safetensors.js';
export {
  saveWeights,
  loadWeights,
  WEIGHTS_NAME,
  WEIGHTS_INDEX_NAME,
  type SaveWeightsOptions,
  type SavedWeights,
  type LoadWeightsOptions,
} from './weights.js';
export { saveHfFolder, loadHfFolder, TOKENIZER_FILES, type SaveHfFolderOptions, type HfFolder } from './hf_folder.js';
