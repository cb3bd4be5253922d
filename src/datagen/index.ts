// Reasoning data: generation with rejection sampling from an expert (both V3 sample types, with
// provenance, decontaminated, resumable) and the mix ratio of the two sample types.
export { generateData, type GenDataSummary, type GenDataHooks, type LedgerEntry, type DropReason, type Outcome } from './gen_data.js';
export { GEN_DATA_SCHEMA, DEFAULT_REFLECTION_PROMPT, type GenDataConfig } from './gen_config.js';
export { mixSampleTypes, MIX_SCHEMA, type MixOptions, type MixSummary } from './mix.js';
