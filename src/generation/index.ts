// Generation: the KV-cache engine, its slow reference, and the shared sampler.
export * from './sampler.js';
export { generate, type GenerateOptions, type Completion, type FinishReason } from './engine.js';
export { generateReference } from './reference.js';
