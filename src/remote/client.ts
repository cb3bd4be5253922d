// A remote model behind any OpenAI-compatible server (vLLM, SGLang, llama.cpp, hosted APIs,
// `posttrain serve`), through the official openai client, for every user of generation —
// evaluation, judges, teachers. Adds what pipelines need around it: a concurrency limit, a timeout
// per attempt, retries with exponential backoff and jitter on transient failures (connection
// errors, timeouts, 408, 409, 429, 5xx; never on other 4xx), and an on-disk cache keyed by the
// request (endpoint, server, body): a repeated request — same seed and temperature included — is
// answered from disk, across processes.
// One retry policy, this one: the SDK's own retries stay off (maxRetries: 0), so attempts are not
// multiplied and every one is counted in stats. A server's Retry-After on a 429 or 503 (seconds or
// an HTTP date; also retry-after-ms) is honoured: the wait is at least what it asks, the backoff's
// otherwise; a wait asked for beyond maxRetryAfterMs gives up at once, saying so.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { writeFileAtomically } from '../common/files.js';
import type { ChatMessage } from '../tokenizer/index.js';

export interface RemoteOptions {
  baseURL: string;
  model: string;
  apiKey?: string;
  /** Requests in flight at most (default 4). */
  concurrency?: number;
  /** Per attempt, milliseconds (default 60000). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** First backoff, doubled each retry, ±25% jitter, at most 30 s (default 500 ms). */
  backoffMs?: number;
  /** The longest Retry-After honoured on a 429 / 503 (default 120000 ms); a longer one fails the request. */
  maxRetryAfterMs?: number;
  /** Folder of cached responses (default: none). */
  cacheDir?: string | null;
}

export interface SamplingParams {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  n?: number;
  seed?: number;
  stop?: string[];
}

export interface RemoteResult {
  texts: string[];
  finishReasons: string[];
  usage: { prompt: number; completion: number };
  cached: boolean;
}

export interface RemoteStats {
  requests: number;
  attempts: number;
  retries: number;
  cacheHits: number;
  failures: number;
}

const TRANSIENT = new Set([408, 409, 429]);

export class RemoteModel {
  readonly stats: RemoteStats = { requests: 0, attempts: 0, retries: 0, cacheHits: 0, failures: 0 };
  private readonly client: OpenAI;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly o: RemoteOptions) {
    if (!(Number.isInteger(o.concurrency ?? 4) && (o.concurrency ?? 4) >= 1))
      throw new RangeError(`RemoteModel: concurrency must be a positive integer, got ${o.concurrency}`);
    // maxRetries: 0 — the retry loop in request() is the only one (see the top)
    this.client = new OpenAI({ baseURL: o.baseURL, apiKey: o.apiKey ?? 'none', timeout: o.timeoutMs ?? 60_000, maxRetries: 0 });
  }

  /** Chat completion: one text per choice. */
  chat(messages: readonly ChatMessage[], p: SamplingParams = {}): Promise<RemoteResult> {
    const body = { model: this.o.model, messages: messages.map((m) => ({ role: m.role, content: m.content })), ...params(p) };
    return this.request('chat', body, async () => {
      const r = await this.client.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming);
      return {
        texts: r.choices.map((c) => c.message.content ?? ''),
        finishReasons: r.choices.map((c) => c.finish_reason),
        usage: { prompt: r.usage?.prompt_tokens ?? 0, completion: r.usage?.completion_tokens ?? 0 },
      };
    });
  }

  /** Text completion of a plain prompt. */
  complete(prompt: string, p: SamplingParams = {}): Promise<RemoteResult> {
    const body = { model: this.o.model, prompt, ...params(p) };
    return this.request('completions', body, async () => {
      const r = await this.client.completions.create(body as OpenAI.CompletionCreateParamsNonStreaming);
      return {
        texts: r.choices.map((c) => c.text),
        finishReasons: r.choices.map((c) => c.finish_reason),
        usage: { prompt: r.usage?.prompt_tokens ?? 0, completion: r.usage?.completion_tokens ?? 0 },
      };
    });
  }

  private async request(endpoint: string, body: object, call: () => Promise<Omit<RemoteResult, 'cached'>>): Promise<RemoteResult> {
    this.stats.requests++;
    const key = createHash('sha256')
      .update(JSON.stringify({ endpoint, baseURL: this.o.baseURL, body }))
      .digest('hex');
    const file = this.o.cacheDir ? join(this.o.cacheDir, key.slice(0, 2), `${key}.json`) : null;
    if (file && existsSync(file)) {
      this.stats.cacheHits++;
      return { ...(JSON.parse(readFileSync(file, 'utf8')) as Omit<RemoteResult, 'cached'>), cached: true };
    }
    await this.acquire();
    try {
      const retries = this.o.retries ?? 3;
      for (let attempt = 0; ; attempt++) {
        this.stats.attempts++;
        try {
          const result = await call();
          if (file) {
            mkdirSync(join(this.o.cacheDir!, key.slice(0, 2)), { recursive: true });
            writeFileAtomically(file, JSON.stringify(result));
          }
          return { ...result, cached: false };
        } catch (e) {
          const asked = retryAfterMs(e);
          const maxAsked = this.o.maxRetryAfterMs ?? 120_000;
          const tooLong = asked !== null && asked > maxAsked;
          if (attempt >= retries || !isTransient(e) || tooLong) {
            this.stats.failures++;
            const why = tooLong
              ? ` (the server asks to retry after ${(asked / 1000).toFixed(1)} s, over maxRetryAfterMs ${maxAsked} ms)`
              : '';
            throw new Error(
              `remote ${endpoint} at ${this.o.baseURL} (model ${this.o.model}) failed after ${attempt + 1} attempt(s)${why}: ${(e as Error).message}`,
              { cause: e },
            );
          }
          this.stats.retries++;
          const backoff = Math.min(30_000, (this.o.backoffMs ?? 500) * 2 ** attempt) * (0.75 + 0.5 * Math.random());
          await new Promise((r) => setTimeout(r, Math.max(backoff, asked ?? 0)));
        }
      }
    } finally {
      this.release();
    }
  }

  private async acquire(): Promise<void> {
    if (this.active < (this.o.concurrency ?? 4)) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next)
      next(); // the slot passes straight to the next waiter
    else this.active--;
  }
}

function params(p: SamplingParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.maxTokens !== undefined) out['max_tokens'] = p.maxTokens;
  if (p.temperature !== undefined) out['temperature'] = p.temperature;
  if (p.topP !== undefined) out['top_p'] = p.topP;
  if (p.n !== undefined) out['n'] = p.n;
  if (p.seed !== undefined) out['seed'] = p.seed;
  if (p.stop !== undefined && p.stop.length) out['stop'] = p.stop;
  return out;
}

/**
 * The wait a 429 / 503 asks for, in ms: retry-after-ms, else Retry-After as seconds or an HTTP date
 * (a date in the past is 0); null when the answer names none (or another status).
 */
function retryAfterMs(e: unknown): number | null {
  if (!(e instanceof OpenAI.APIError) || (e.status !== 429 && e.status !== 503) || !e.headers) return null;
  const ms = e.headers['retry-after-ms'];
  if (ms && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Number(ms);
  const after = e.headers['retry-after']?.trim();
  if (!after) return null;
  if (/^\d+(\.\d+)?$/.test(after)) return Number(after) * 1000;
  const at = Date.parse(after);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

function isTransient(e: unknown): boolean {
  if (e instanceof OpenAI.APIConnectionError) return true; // includes timeouts
  if (e instanceof OpenAI.APIError && typeof e.status === 'number') return e.status >= 500 || TRANSIENT.has(e.status);
  return false;
}
