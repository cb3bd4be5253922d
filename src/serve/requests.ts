// Validation of OpenAI-style sampling requests (chat completions and completions): every field is
// checked and a bad one becomes a RequestError naming the parameter, which the server sends as an
// OpenAI-shaped 4xx error. Unknown fields are ignored, as OpenAI-compatible servers do; fields this
// server cannot honour (tools, structured output, presence / frequency penalties, logit bias) are
// refused with a 400 naming them rather than silently ignored. vLLM's extra sampling parameters
// top_k, min_p, repetition_penalty, ignore_eos and return_tokens_as_token_ids are accepted.
import type { ChatMessage } from '../tokenizer/index.js';

export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface SamplingRequest {
  /** The served model (the base, or a LoRA adapter loaded at runtime) the request names. */
  model: string;
  messages: ChatMessage[] | null;
  prompt: string | null;
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  repetitionPenalty: number;
  /** vLLM's ignore_eos: generate max_tokens whatever the model says. */
  ignoreEos: boolean;
  /** vLLM's return_tokens_as_token_ids: logprobs name tokens "token_id:N", every generated token included (the end token too). */
  returnTokenIds: boolean;
  n: number;
  stop: string[];
  /** null: none given (the server draws a fresh one). */
  seed: number | null;
  /** Alternatives reported per sampled token (0: none). */
  topLogprobs: number;
  stream: boolean;
  includeUsage: boolean;
  logprobs: boolean;
}

const ROLES = new Set(['system', 'user', 'assistant']);

function messageContent(m: Record<string, unknown>, i: number): string {
  const c = m['content'];
  if (typeof c === 'string') return c;
  if (
    Array.isArray(c) &&
    c.every(
      (p) =>
        typeof p === 'object' &&
        p !== null &&
        (p as Record<string, unknown>)['type'] === 'text' &&
        typeof (p as Record<string, unknown>)['text'] === 'string',
    )
  ) {
    return c.map((p) => (p as { text: string }).text).join('');
  }
  throw new RequestError(400, `messages[${i}].content must be a string or a list of text parts`, `messages[${i}].content`);
}

export function parseSamplingRequest(
  b: Record<string, unknown>,
  o: { models: readonly string[]; cap: number; chat: boolean },
): SamplingRequest {
  const bad = (param: string, why: string): never => {
    throw new RequestError(400, `${param} ${why}`, param, 'invalid_value');
  };
  if (typeof b['model'] !== 'string') bad('model', 'is required (a string)');
  if (!o.models.includes(b['model'] as string))
    throw new RequestError(
      404,
      `the model '${String(b['model'])}' does not exist (this server serves ${o.models.map((m) => `'${m}'`).join(', ')})`,
      'model',
      'model_not_found',
    );
  const num = (name: string, def: number, lo: number, hi: number, int = false): number => {
    const v = b[name];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || (int && !Number.isInteger(v)) || v < lo || v > hi)
      bad(name, `must be ${int ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
    return v as number;
  };
  let messages: ChatMessage[] | null = null,
    prompt: string | null = null;
  if (o.chat) {
    const ms = b['messages'];
    if (!Array.isArray(ms) || ms.length === 0) bad('messages', 'must be a non-empty list');
    messages = (ms as unknown[]).map((m, i) => {
      if (typeof m !== 'object' || m === null) return bad(`messages[${i}]`, 'must be an object');
      const role = (m as Record<string, unknown>)['role'];
      if (typeof role !== 'string' || !ROLES.has(role))
        bad(`messages[${i}].role`, `must be system, user or assistant, got ${JSON.stringify(role)}`);
      return { role: role as ChatMessage['role'], content: messageContent(m as Record<string, unknown>, i) };
    });
  } else {
    const p = b['prompt'];
    if (typeof p === 'string') prompt = p;
    else if (Array.isArray(p) && p.length === 1 && typeof p[0] === 'string') prompt = p[0];
    else bad('prompt', 'must be a string (or a list of one string)');
  }
  const maxTokens = num(b['max_completion_tokens'] !== undefined ? 'max_completion_tokens' : 'max_tokens', 256, 1, o.cap, true);
  const stopRaw = b['stop'];
  const stop =
    stopRaw === undefined || stopRaw === null
      ? []
      : typeof stopRaw === 'string'
        ? [stopRaw]
        : Array.isArray(stopRaw) && stopRaw.length <= 4 && stopRaw.every((s) => typeof s === 'string' && s.length > 0)
          ? (stopRaw as string[])
          : bad('stop', 'must be a string or a list of at most 4 non-empty strings');
  const stream = b['stream'] ?? false;
  if (typeof stream !== 'boolean') bad('stream', 'must be true or false');
  const so = b['stream_options'];
  const includeUsage = typeof so === 'object' && so !== null && (so as Record<string, unknown>)['include_usage'] === true;
  let logprobs = false,
    topLogprobs = 0;
  if (o.chat) {
    const lp = b['logprobs'] ?? false;
    if (typeof lp !== 'boolean') bad('logprobs', 'must be true or false');
    logprobs = lp as boolean;
    topLogprobs = num('top_logprobs', 0, 0, 20, true);
    if (topLogprobs > 0 && !logprobs) bad('top_logprobs', 'needs logprobs: true');
  } else {
    topLogprobs = num('logprobs', 0, 0, 5, true);
    logprobs = b['logprobs'] !== undefined && b['logprobs'] !== null;
  }
  const unsupported = (name: string, why: string) => {
    throw new RequestError(400, `${name} is not supported by this server (${why})`, name, 'unsupported_parameter');
  };
  for (const name of ['tools', 'functions']) {
    const v = b[name];
    if (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null) unsupported(name, 'no tool calling');
  }
  for (const name of ['tool_choice', 'function_call']) {
    const v = b[name];
    if (v !== undefined && v !== null && v !== 'none' && v !== 'auto') unsupported(name, 'no tool calling');
  }
  const rf = b['response_format'];
  if (rf !== undefined && rf !== null && !(typeof rf === 'object' && (rf as Record<string, unknown>)['type'] === 'text'))
    unsupported('response_format', "no structured output: only {type: 'text'}");
  for (const name of ['presence_penalty', 'frequency_penalty']) {
    if (num(name, 0, -2, 2) !== 0) unsupported(name, 'use repetition_penalty');
  }
  const lb = b['logit_bias'];
  if (lb !== undefined && lb !== null && !(typeof lb === 'object' && Object.keys(lb).length === 0))
    unsupported('logit_bias', 'no logit bias');
  return {
    model: b['model'] as string,
    messages,
    prompt,
    maxTokens,
    stop,
    stream: stream as boolean,
    includeUsage,
    logprobs,
    temperature: num('temperature', 1, 0, 2),
    topP: num('top_p', 1, 1e-6, 1),
    topK: Math.max(0, num('top_k', 0, -1, 1_000_000, true)), // vLLM: -1 (or 0) = off
    minP: num('min_p', 0, 0, 0.999999),
    returnTokenIds: b['return_tokens_as_token_ids'] === true,
    ignoreEos:
      b['ignore_eos'] === undefined || b['ignore_eos'] === null
        ? false
        : typeof b['ignore_eos'] === 'boolean'
          ? b['ignore_eos']
          : bad('ignore_eos', 'must be true or false'),
    repetitionPenalty: num('repetition_penalty', 1, 1e-6, 10),
    n: num('n', 1, 1, 16, true),
    seed: b['seed'] === undefined || b['seed'] === null ? null : num('seed', 0, -(2 ** 53), 2 ** 53, true),
    topLogprobs,
  };
}
