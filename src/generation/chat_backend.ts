// One interface for every user of chat generation — evaluation, judges, teachers: conversations in,
// n texts each out. Two backends:
//   - local: a model folder on the KV-cache engine. Requests that arrive in the same tick (a judge
//     scoring a whole round with Promise.all, say) are gathered and generated as one padded batch
//     (chunks of batchSize rows), so a caller can ask one conversation at a time and still batch.
//     Sample k of a request draws from its own stream, seeded by (request seed, k): what a request
//     gets never depends on which other requests share its batch or how many calls came before
//     (so a resumed gen-data samples what the uninterrupted run would have).
//   - remote: any OpenAI-compatible server through RemoteModel (concurrency, timeouts, retries,
//     cache); a single completion's length is the server's usage count, several are re-encoded
//     with a local tokenizer when one is given (else unknown).
// openChatBackend picks by the spec: an http(s):// URL is remote, anything else a model folder.
import { generate } from './engine.js';
import { loadModel, resolveDevice, type CausalLM } from '../models/index.js';
import { Tokenizer, applyChatTemplate, type ChatMessage } from '../tokenizer/index.js';
import { RemoteModel, type RemoteOptions } from '../remote/client.js';
import { seedFrom } from '../common/rng.js';

export interface ChatRequest {
  messages: readonly ChatMessage[];
  /** Completions for this conversation (default 1). */
  n?: number;
  maxTokens: number;
  /** 0: greedy. */
  temperature: number;
  topP?: number;
  seed?: number;
}

export interface ChatResult {
  texts: string[];
  /** Tokens of each text (locally without the end-of-turn token; remotely as the server counts); null where unknown. */
  lengths: (number | null)[];
  /** 'eos' | 'stop' | 'length' locally; the server's finish_reason remotely. */
  finishReasons: string[];
}

export interface ChatBackend {
  /** What it is, for logs: "local model runs/judge/final" or "remote judge at http://…". */
  readonly description: string;
  chat(request: ChatRequest): Promise<ChatResult>;
  dispose(): void;
}

export interface LocalBackendOptions {
  /** Rows (conversations × n) per generate call (default 32). */
  batchSize?: number;
  /** Longer prompts keep their last tokens (default: no limit). */
  maxPromptTokens?: number;
  /** Where a model folder is loaded: 'cpu' (default), 'cuda', 'cuda:N' or 'auto'. */
  device?: string;
}

interface Pending {
  request: ChatRequest;
  resolve: (r: ChatResult) => void;
  reject: (e: unknown) => void;
}

/** A model already in memory (not disposed by the backend) or a folder (loaded, disposed with it). */
export class LocalChatBackend implements ChatBackend {
  readonly description: string;
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly model: CausalLM,
    private readonly tokenizer: Tokenizer,
    private readonly o: LocalBackendOptions & { owned?: boolean; name?: string } = {},
  ) {
    this.description = `local model ${o.name ?? '(in memory)'}`;
  }

  static fromDir(dir: string, o: LocalBackendOptions = {}): LocalChatBackend {
    const tokenizer = Tokenizer.fromDir(dir);
    const device = resolveDevice(o.device ?? 'cpu', `${dir} device`);
    return new LocalChatBackend(loadModel(dir, { device }).model.eval(), tokenizer, { ...o, owned: true, name: dir });
  }

  chat(request: ChatRequest): Promise<ChatResult> {
    const n = request.n ?? 1;
    if (!Number.isInteger(n) || n < 1) return Promise.reject(new RangeError(`chat: n must be a positive integer, got ${n}`));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Everything queued so far, grouped by sampling settings, generated in chunks of batchSize rows. */
  private flush(): void {
    this.scheduled = false;
    const pending = this.queue;
    this.queue = [];
    const bySettings = new Map<string, Pending[]>();
    for (const p of pending) {
      const key = `${p.request.maxTokens}|${p.request.temperature}|${p.request.topP ?? 1}`;
      bySettings.set(key, [...(bySettings.get(key) ?? []), p]);
    }
    for (const group of bySettings.values()) {
      try {
        const results = this.generateGroup(group.map((p) => p.request));
        group.forEach((p, i) => p.resolve(results[i]!));
      } catch (e) {
        for (const p of group) p.reject(e);
      }
    }
  }

  private generateGroup(requests: readonly ChatRequest[]): ChatResult[] {
    const tok = this.tokenizer,
      first = requests[0]!;
    const rows: { request: number; ids: number[]; seed: number }[] = [];
    requests.forEach((r, i) => {
      let ids = tok.encode(applyChatTemplate(tok, [...r.messages], { addGenerationPrompt: true }));
      if (this.o.maxPromptTokens && ids.length > this.o.maxPromptTokens) ids = ids.slice(ids.length - this.o.maxPromptTokens);
      for (let k = 0; k < (r.n ?? 1); k++) rows.push({ request: i, ids, seed: seedFrom(r.seed ?? 0, k) });
    });
    const results: ChatResult[] = requests.map(() => ({ texts: [], lengths: [], finishReasons: [] }));
    const batch = this.o.batchSize ?? 32;
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      for (let i = 0; i < rows.length; i += batch) {
        const chunk = rows.slice(i, i + batch);
        const outs = generate(
          this.model,
          chunk.map((r) => r.ids),
          {
            maxNewTokens: first.maxTokens,
            temperature: first.temperature,
            topP: first.temperature > 0 ? (first.topP ?? 1) : 1,
            seeds: chunk.map((r) => r.seed),
            eosTokenIds: tok.eosTokenIds,
            padTokenId: tok.padTokenId ?? 0,
          },
        );
        outs.forEach((c, j) => {
          const res = results[chunk[j]!.request]!;
          res.texts.push(tok.decode(c.tokens, { skipSpecialTokens: true }));
          res.lengths.push(c.tokens.filter((t) => !tok.eosTokenIds.includes(t)).length);
          res.finishReasons.push(c.finishReason);
        });
      }
    } finally {
      if (wasTraining) this.model.train();
    }
    return results;
  }

  dispose(): void {
    if (this.o.owned) this.model.dispose();
  }
}

export class RemoteChatBackend implements ChatBackend {
  readonly description: string;
  constructor(
    readonly remote: RemoteModel,
    private readonly o: { url: string; model: string; tokenizer?: Tokenizer | null },
  ) {
    this.description = `remote model ${o.model} at ${o.url}`;
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    const r = await this.remote.chat(request.messages, {
      n: request.n ?? 1,
      maxTokens: request.maxTokens,
      temperature: request.temperature,
      topP: request.topP,
      seed: request.seed,
    });
    const tok = this.o.tokenizer;
    // the server's usage counts a single completion exactly (its own tokens); several share one
    // count, so then a local tokenizer re-encodes each text when given
    const lengths = r.texts.map((t) => (r.texts.length === 1 ? r.usage.completion : tok ? tok.encode(t).length : null));
    return { texts: r.texts, lengths, finishReasons: r.finishReasons };
  }

  dispose(): void {}
}

export interface BackendSpec {
  /** A model folder, or the base URL of an OpenAI-compatible server (http://host:port/v1). */
  source: string;
  /** The model name at the server (remote only; required there). */
  model?: string | null;
  /** Remote: an environment variable holding the API key (default OPENAI_API_KEY; none is fine for local servers). */
  apiKeyEnv?: string;
  /** Remote: counts response tokens with this tokenizer (default: none → lengths null). */
  tokenizer?: Tokenizer | null;
  remote?: Omit<RemoteOptions, 'baseURL' | 'model' | 'apiKey'>;
  local?: LocalBackendOptions;
  /** Which setting named the source, for error messages (e.g. "config field 'judge'"). */
  field?: string;
}

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

export function openChatBackend(spec: BackendSpec): ChatBackend {
  const where = spec.field ?? 'backend';
  if (isUrl(spec.source)) {
    if (!spec.model) throw new Error(`${where}: a server URL (${spec.source}) needs the model name at that server`);
    const apiKey = process.env[spec.apiKeyEnv ?? 'OPENAI_API_KEY'];
    return new RemoteChatBackend(new RemoteModel({ baseURL: spec.source, model: spec.model, apiKey, ...spec.remote }), {
      url: spec.source,
      model: spec.model,
      tokenizer: spec.tokenizer,
    });
  }
  try {
    return LocalChatBackend.fromDir(spec.source, spec.local);
  } catch (e) {
    throw new Error(`${where}: cannot load the model folder '${spec.source}': ${(e as Error).message}`, { cause: e });
  }
}
