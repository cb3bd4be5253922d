// The `posttrain gen-data` config (flat, validated once like the trainers'): the teacher and its
// reflection/verification system prompt, sampling, the rejection-sampling rules, decontamination,
// and where the two sample types go. Defaults follow DeepSeek-R1 / V3 where they give a value
// (temperature 0.6, top-p 0.95) and are settings where they do not (V3 gives no system prompt text).
import { DEVICE_FIELD } from '../models/placement.js';
import { defineSchema, type ConfigOf } from '../common/schema.js';

export const DEFAULT_REFLECTION_PROMPT =
  'You are an expert problem solver. Think step by step inside <think> and </think>: ' +
  'reflect on each step, verify every intermediate result, and correct any mistake before you go on. ' +
  'After thinking, write the solution and put the final answer in \\boxed{}.';

export const GEN_DATA_SCHEMA = defineSchema({
  teacher: {
    type: 'string',
    default: null,
    required: true,
    doc: 'the expert: a model folder, or an OpenAI-compatible server URL (http://host:port/v1)',
  },
  teacher_model: { type: 'string', default: null, nullable: true, doc: 'the model name at the server (teacher is a URL)' },
  api_key_env: { type: 'string', default: 'OPENAI_API_KEY', doc: "environment variable with the server's API key (unset: none)" },
  tokenizer: {
    type: 'string',
    default: null,
    nullable: true,
    doc: "tokenizer folder that counts response tokens of a remote teacher (default: the teacher folder; a URL without it counts by the server's usage where it can)",
  },
  prompts: {
    type: 'strings',
    default: [],
    required: true,
    doc: 'problem files: rows with question | problem | prompt | messages, plus answer (math), tests (code) or reference (judge), optional id',
  },
  output: {
    type: 'string',
    default: null,
    required: true,
    doc: "the SFT data file (JSONL) the kept samples are appended to; <output>.ledger.jsonl records every problem's outcome (resume), <output>.summary.json the totals",
  },
  system_prompt: {
    type: 'string',
    default: DEFAULT_REFLECTION_PROMPT,
    doc: 'the system prompt asking for reflection and verification (sample type b)',
  },
  samples_per_prompt: { type: 'int', default: 4, min: 1, doc: 'teacher samples per problem for rejection sampling' },
  temperature: { type: 'number', default: 0.6, min: 0, doc: 'teacher sampling temperature' },
  top_p: { type: 'number', default: 0.95, min: 0.01, max: 1, doc: 'nucleus sampling' },
  max_tokens: { type: 'int', default: 1024, min: 1, doc: 'generation limit; a sample that reaches it is truncated and dropped' },
  prompts_per_batch: {
    type: 'int',
    default: 16,
    min: 1,
    doc: 'problems in flight together (batched locally, concurrent remotely); the resume granularity is one problem',
  },
  batch_size: { type: 'int', default: 32, min: 1, doc: 'local teacher: rows (problems × samples) per generate call' },
  device: DEVICE_FIELD,
  verifier: {
    type: 'string',
    default: 'auto',
    values: ['auto', 'math', 'code', 'judge', 'none'],
    doc: "what keeps a sample: math (answer column), code (tests, sandboxed), judge (free-form reference), auto (by the row's columns), none (keep all)",
  },
  judge: { type: 'string', default: null, nullable: true, doc: 'judge for free-form references: a model folder or server URL' },
  judge_model: { type: 'string', default: null, nullable: true, doc: "the judge's model name at the server" },
  judge_max_tokens: { type: 'int', default: 256, min: 1, doc: "the judge's reasoning + verdict length limit" },
  keep: {
    type: 'string',
    default: 'shortest',
    values: ['shortest', 'first', 'random'],
    doc: 'which correct sample is kept (shortest: the length control of V3 Table 9)',
  },
  max_response_tokens: {
    type: 'int',
    default: 0,
    min: 0,
    doc: 'correct samples longer than this are dropped (0: no limit below max_tokens)',
  },
  drop_truncated: { type: 'bool', default: true, doc: 'drop samples cut by max_tokens (keep them only for smoke runs)' },
  require_think: { type: 'bool', default: true, doc: 'a teacher sample must open with one closed <think>…</think> block (else malformed)' },
  require_boxed: { type: 'bool', default: false, doc: 'a teacher sample must contain a \\boxed{} answer (else malformed)' },
  check_equations: {
    type: 'bool',
    default: false,
    doc: 'every integer equation "a op b = c" (op + - * /) a sample writes must hold, else it is dropped as false_equation — a rule check of the worked arithmetic, so a right answer reached through wrong steps is not kept',
  },
  language: {
    type: 'string',
    default: 'en',
    nullable: true,
    values: ['en', 'zh'],
    doc: 'the expected language; samples mixing languages are dropped (null: no check)',
  },
  min_language_share: {
    type: 'number',
    default: 0.95,
    min: 0,
    max: 1,
    doc: 'share of words in the expected language below which a sample counts as mixed-language',
  },
  original_column: {
    type: 'string',
    default: 'solution',
    nullable: true,
    doc: 'column with the original short response (sample type a); null: the teacher answers without the system prompt, rejection-sampled the same way',
  },
  decontaminate: { type: 'strings', default: [], doc: 'evaluation files whose questions no generated problem may overlap' },
  ngram: { type: 'int', default: 13, min: 1, doc: 'n-gram size of the decontamination check (words and numbers)' },
  contamination_threshold: {
    type: 'number',
    default: 0.5,
    min: 0,
    max: 1,
    doc: 'a problem sharing at least this share of its n-grams with an evaluation set is skipped',
  },
  limit: { type: 'int', default: 0, min: 0, doc: 'problems read at most (0: all)' },
  seed: {
    type: 'int',
    default: 0,
    min: 0,
    doc: "sampling seed (a problem's samples derive from this seed and the problem's id, so a resumed run samples what an uninterrupted one would)",
  },
});

export type GenDataConfig = ConfigOf<typeof GEN_DATA_SCHEMA>;
