// `posttrain serve`: a model folder behind an OpenAI-compatible HTTP API (node:http, no framework):
//   GET  /v1/models, GET /health
//   POST /v1/chat/completions   messages → assistant message; stream (SSE), n, stop, seed,
//                               logprobs and top_logprobs, usage; vLLM's top_k, min_p,
//                               repetition_penalty, ignore_eos
//   POST /v1/completions        prompt → text; stream, logprobs (with top alternatives), echo-free
//   POST /v1/load_lora_adapter, /v1/unload_lora_adapter  vLLM's runtime LoRA routes (when allowed):
//                               {lora_name, lora_path}; requests then name the adapter as `model`
// On 127.0.0.1 by default, optional bearer token. Generation is continuously batched
// (generation/batcher.ts): a request joins the decoding batch at the next step and its tokens stream
// as they are sampled, while the event loop keeps serving other routes. A request without a seed
// gets a fresh random one. Bad requests get OpenAI-shaped 4xx errors naming the parameter (a body
// over the size cap is refused from its Content-Length, and the connection is closed rather than
// left with unread bytes), and the server stays up.
// Web pages in a browser on this machine must not use it (common/http_guard.ts), key or no key: a
// Host that is not this server's (DNS rebinding of a loopback server) is 421, a foreign Origin 403,
// a POST that is not Content-Type: application/json 415 (what the openai SDK and vLLM clients send).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { loadModel, resolveDevice, type CausalLM } from '../models/index.js';
import { loadAdapter, mergeLora } from '../models/lora.js';
import { Tokenizer, applyChatTemplate, StreamDecoder, type ChatMessage } from '../tokenizer/index.js';
import { type Completion } from '../generation/index.js';
import { ContinuousBatcher } from '../generation/batcher.js';
import { seedFrom } from '../common/rng.js';
import { hostGuard, requireJsonBody, type Refusal } from '../common/http_guard.js';
import { parseSamplingRequest, RequestError, type SamplingRequest } from './requests.js';

export interface ServeOptions {
  modelDir: string;
  /** 'cpu', 'cuda', 'cuda:N' or 'auto' (default). */
  device?: string;
  /**
   * The weights' dtype: 'float32' (default) or 'bfloat16' — half the memory and, on the CPU, half the
   * bytes read per decoded token; activations stay float32 on the CPU (weight-only half precision).
   */
  dtype?: 'float32' | 'bfloat16';
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /**
   * Host names answered besides the loopback ones and the bind address (name or name:port; '*' any);
   * on a non-loopback bind address, Host is checked only when this is given.
   */
  allowedHosts?: readonly string[] | null;
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Bearer token required on every request when set. */
  apiKey?: string | null;
  /** The model id clients must name (default: the folder's last path component). */
  modelName?: string;
  /** Largest max_tokens accepted (default 2048). */
  maxNewTokensCap?: number;
  /** Sequences decoded together at most (default 32); further requests wait for rows to finish. */
  maxBatch?: number;
  /**
   * POST /v1/load_lora_adapter and /v1/unload_lora_adapter (vLLM's routes and request shape):
   * clients load adapter folders from this machine's disk by path, so it is off unless asked for
   * (here, or VLLM_ALLOW_RUNTIME_LORA_UPDATING=True as for vLLM).
   */
  allowRuntimeLora?: boolean;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  modelName: string;
  close(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, e: RequestError): void {
  sendJson(res, e.status, {
    error: { message: e.message, type: e.status === 401 ? 'authentication_error' : 'invalid_request_error', param: e.param, code: e.code },
  });
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_BODY)
    throw new RequestError(413, `request body of ${declared} bytes is over ${MAX_BODY} bytes`, null, 'body_too_large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new RequestError(413, `request body over ${MAX_BODY} bytes`, null, 'body_too_large');
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw new RequestError(400, `invalid JSON body: ${(e as Error).message}`, null, 'invalid_json');
  }
}

const refusal = (r: Refusal) => new RequestError(r.status, r.message, null, r.code);

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const guard = hostGuard({ bindHost: o.host ?? '127.0.0.1', allowedHosts: o.allowedHosts });
  const device = resolveDevice(o.device ?? 'auto', "serve field 'device'");
  const load = () => {
    const { model: m } = loadModel(o.modelDir, { device, dtype: o.dtype ?? 'float32' });
    if (o.dtype === 'bfloat16' && device === 'cpu') m.autocast('float32'); // weight-only half precision
    return m;
  };
  const model = load();
  model.eval();
  const tokenizer = Tokenizer.fromDir(o.modelDir);
  const modelName = o.modelName ?? o.modelDir.replace(/\/+$/, '').split('/').pop()!;
  const contextLength = model.config.rope.maxPositionEmbeddings;
  const log = o.log ?? (() => {});
  const newBatcher = (m: CausalLM) => new ContinuousBatcher(m, { maxBatch: o.maxBatch ?? 32, padTokenId: tokenizer.padTokenId ?? 0 });
  const batcher = newBatcher(model);
  // LoRA adapters loaded at runtime: each a copy of the base with the adapter merged, its own batch
  const adapters = new Map<string, { model: CausalLM; batcher: ContinuousBatcher; path: string }>();
  const allowLora = o.allowRuntimeLora ?? process.env['VLLM_ALLOW_RUNTIME_LORA_UPDATING']?.toLowerCase() === 'true';
  const models = () => [modelName, ...adapters.keys()];
  const created = () => Math.floor(Date.now() / 1000);
  // the most bytes one token decodes to: a text longer than context × this cannot fit, so it is refused before tokenizing
  const maxTokenBytes = Math.max(1, ...Array.from({ length: tokenizer.vocabSize }, (_, i) => Buffer.byteLength(tokenizer.decode([i]))));
  const checkBytes = (text: string, param: string) => {
    const bytes = Buffer.byteLength(text);
    if (bytes > contextLength * maxTokenBytes)
      throw new RequestError(
        400,
        `the ${param} is ${bytes} bytes: at least ${Math.ceil(bytes / maxTokenBytes)} tokens, more than the model's context of ${contextLength}`,
        param,
        'context_length_exceeded',
      );
  };
  const checkContext = (prompt: number[], r: SamplingRequest) => {
    if (prompt.length + r.maxTokens > contextLength) {
      throw new RequestError(
        400,
        `the prompt has ${prompt.length} tokens and max_tokens is ${r.maxTokens}: more than the model's context of ${contextLength}`,
        r.messages ? 'messages' : 'prompt',
        'context_length_exceeded',
      );
    }
  };

  /** Runs the request's generation in the shared batch; streams deltas through `onPiece` when given. */
  const run = (prompt: number[], r: SamplingRequest, onPiece?: (index: number, text: string) => void): Promise<Completion[]> => {
    checkContext(prompt, r);
    const decoders = Array.from({ length: r.n }, () => new StreamDecoder((ids) => tokenizer.decode(ids, { skipSpecialTokens: true })));
    const seed = r.seed ?? randomBytes(4).readUInt32LE(0); // a fresh seed when the request names none
    return (adapters.get(r.model)?.batcher ?? batcher).submit({
      prompt,
      n: r.n,
      sampling: { temperature: r.temperature, topP: r.topP, topK: r.topK, minP: r.minP, repetitionPenalty: r.repetitionPenalty },
      topLogprobs: r.topLogprobs,
      maxNewTokens: r.maxTokens,
      eosTokenIds: r.ignoreEos ? [] : tokenizer.eosTokenIds,
      stopStrings: r.stop,
      detokenize: (ids) => tokenizer.decode(ids, { skipSpecialTokens: true }),
      seeds: Array.from({ length: r.n }, (_, choice) => seedFrom(seed, choice)),
      onToken: onPiece
        ? (choice, token) => {
            const t = decoders[choice]!.push(token);
            if (t) onPiece(choice, t);
          }
        : undefined,
    });
  };
  const eos = new Set(tokenizer.eosTokenIds);
  /** The text and per-token log-probs of a completion, without the end token or the stop string. */
  const finish = (c: Completion) => {
    const tokens = c.tokens.filter((t, i) => !(i === c.tokens.length - 1 && eos.has(t)));
    let text = tokenizer.decode(tokens, { skipSpecialTokens: true });
    if (c.stopString && text.includes(c.stopString)) text = text.slice(0, text.lastIndexOf(c.stopString));
    return {
      text,
      tokens,
      all: c.tokens,
      allLogprobs: c.logprobs,
      logprobs: c.logprobs.slice(0, tokens.length),
      top: (c.topLogprobs ?? []).slice(0, tokens.length),
      finish: c.finishReason === 'length' ? 'length' : 'stop',
    };
  };
  const entry = (id: number, logprob: number) => {
    const token = tokenizer.decode([id]);
    return { token, logprob, bytes: [...Buffer.from(token, 'utf8')] };
  };
  const tokenLogprobs = (c: ReturnType<typeof finish>) =>
    c.tokens.map((t, i) => ({ ...entry(t, c.logprobs[i]!), top_logprobs: (c.top[i] ?? []).map(([id, lp]) => entry(id, lp)) }));

  /**
   * Streaming text per choice: pieces are sent as the decoder releases them, minus a tail as long
   * as the longest stop string (which may yet turn out to be one); `rest` sends what the final text
   * still lacks, so the deltas always add up to the non-streamed text.
   */
  const streamer = (n: number, stop: readonly string[], emit: (index: number, text: string) => void) => {
    const hold = Math.max(0, ...stop.map((x) => x.length));
    const seen = Array.from({ length: n }, () => ''),
      sent = Array.from({ length: n }, () => 0);
    return {
      piece: (index: number, text: string) => {
        seen[index] += text;
        const upTo = seen[index]!.length - hold;
        if (upTo > sent[index]!) {
          emit(index, seen[index]!.slice(sent[index], upTo));
          sent[index] = upTo;
        }
      },
      rest: (index: number, final: string) => {
        const tail = final.slice(sent[index]);
        if (tail) emit(index, tail);
      },
    };
  };

  const sse = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    return (data: unknown) => res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  };

  const chat = async (body: Record<string, unknown>, res: ServerResponse) => {
    const r = parseSamplingRequest(body, { models: models(), cap: o.maxNewTokensCap ?? 2048, chat: true });
    const text = applyChatTemplate(tokenizer, r.messages as ChatMessage[], { addGenerationPrompt: true });
    checkBytes(text, 'messages');
    const prompt = tokenizer.encode(text);
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const head = { id, object: 'chat.completion.chunk', created: created(), model: r.model };
    if (!r.stream) {
      const outs = (await run(prompt, r)).map(finish);
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created: created(),
        model: r.model,
        choices: outs.map((c, index) => ({
          index,
          message: { role: 'assistant', content: c.text },
          logprobs: r.logprobs ? { content: tokenLogprobs(c) } : null,
          finish_reason: c.finish,
        })),
        usage: countUsage(prompt, outs),
      });
      return;
    }
    checkContext(prompt, r); // the 400 before the stream starts
    const send = sse(res);
    for (let index = 0; index < r.n; index++)
      send({ ...head, choices: [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
    const st = streamer(r.n, r.stop, (index, text) =>
      send({ ...head, choices: [{ index, delta: { content: text }, logprobs: null, finish_reason: null }] }),
    );
    const outs = (await run(prompt, r, st.piece)).map(finish);
    outs.forEach((c, index) => {
      st.rest(index, c.text);
      send({
        ...head,
        choices: [{ index, delta: {}, logprobs: r.logprobs ? { content: tokenLogprobs(c) } : null, finish_reason: c.finish }],
      });
    });
    if (r.includeUsage) send({ ...head, choices: [], usage: countUsage(prompt, outs) });
    send('[DONE]');
    res.end();
  };

  const completions = async (body: Record<string, unknown>, res: ServerResponse) => {
    const r = parseSamplingRequest(body, { models: models(), cap: o.maxNewTokensCap ?? 2048, chat: false });
    checkBytes(r.prompt!, 'prompt');
    const prompt = tokenizer.encode(r.prompt!);
    const id = `cmpl-${randomBytes(12).toString('hex')}`;
    const logprobsOf = (c: ReturnType<typeof finish>) => {
      if (r.returnTokenIds)
        return { tokens: c.all.map((t) => `token_id:${t}`), token_logprobs: c.allLogprobs, top_logprobs: null, text_offset: null };
      const tokens = c.tokens.map((t) => tokenizer.decode([t]));
      let offset = r.prompt!.length;
      return {
        tokens,
        token_logprobs: c.logprobs,
        top_logprobs:
          r.topLogprobs > 0 ? c.top.map((alts) => Object.fromEntries(alts.map(([t, lp]) => [tokenizer.decode([t]), lp]))) : null,
        text_offset: tokens.map((t) => {
          const at = offset;
          offset += t.length;
          return at;
        }),
      };
    };
    if (!r.stream) {
      const outs = (await run(prompt, r)).map(finish);
      sendJson(res, 200, {
        id,
        object: 'text_completion',
        created: created(),
        model: r.model,
        choices: outs.map((c, index) => ({ index, text: c.text, logprobs: r.logprobs ? logprobsOf(c) : null, finish_reason: c.finish })),
        usage: countUsage(prompt, outs),
      });
      return;
    }
    checkContext(prompt, r);
    const send = sse(res);
    const head = { id, object: 'text_completion', created: created(), model: r.model };
    const st = streamer(r.n, r.stop, (index, text) => send({ ...head, choices: [{ index, text, logprobs: null, finish_reason: null }] }));
    const outs = (await run(prompt, r, st.piece)).map(finish);
    outs.forEach((c, index) => {
      st.rest(index, c.text);
      send({ ...head, choices: [{ index, text: '', logprobs: r.logprobs ? logprobsOf(c) : null, finish_reason: c.finish }] });
    });
    if (r.includeUsage) send({ ...head, choices: [], usage: countUsage(prompt, outs) });
    send('[DONE]');
    res.end();
  };

  const server = createServer((req, res) => {
    const started = performance.now();
    const url = (req.url ?? '').split('?')[0];
    const handle = async () => {
      const refused = guard.check(req);
      if (refused) throw refusal(refused);
      if (o.apiKey && req.headers.authorization !== `Bearer ${o.apiKey}`)
        throw new RequestError(401, 'missing or wrong bearer token', null, 'invalid_api_key');
      if (req.method === 'GET' && url === '/health') {
        sendJson(res, 200, { status: 'ok', model: modelName, running: batcher.active, steps: batcher.steps, row_steps: batcher.rowSteps });
        return;
      }
      if (req.method === 'GET' && url === '/v1/models') {
        sendJson(res, 200, {
          object: 'list',
          data: [
            { id: modelName, object: 'model', created: 0, owned_by: 'posttrain', root: o.modelDir, parent: null },
            ...[...adapters].map(([id, a]) => ({
              id,
              object: 'model',
              created: 0,
              owned_by: 'posttrain',
              root: a.path,
              parent: modelName,
            })),
          ],
        });
        return;
      }
      const lora = url === '/v1/load_lora_adapter' || url === '/v1/unload_lora_adapter';
      if (req.method !== 'POST' || !(url === '/v1/chat/completions' || url === '/v1/completions' || (lora && allowLora)))
        throw new RequestError(404, `no route ${req.method} ${url}`, null, 'not_found');
      const notJson = requireJsonBody(req, url!);
      if (notJson) throw refusal(notJson);
      const body = await readBody(req);
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new RequestError(400, 'the body must be a JSON object', null, 'invalid_body');
      if (lora) {
        const b = body as Record<string, unknown>;
        const name = b['lora_name'];
        if (typeof name !== 'string' || name === '')
          throw new RequestError(400, 'lora_name must be a non-empty string', 'lora_name', 'invalid_value');
        if (url === '/v1/unload_lora_adapter') {
          const a = adapters.get(name);
          if (!a) throw new RequestError(404, `the lora adapter '${name}' is not loaded`, 'lora_name', 'not_found');
          adapters.delete(name);
          a.batcher.close();
          a.model.dispose();
          sendText(res, 200, `Success: LoRA adapter '${name}' removed successfully.`);
          return;
        }
        const path = b['lora_path'];
        if (typeof path !== 'string' || path === '')
          throw new RequestError(400, 'lora_path must be a non-empty string', 'lora_path', 'invalid_value');
        if (name === modelName || adapters.has(name))
          throw new RequestError(400, `the lora adapter '${name}' has already been loaded`, 'lora_name', 'invalid_value');
        const copy = load();
        try {
          loadAdapter(copy, path);
          mergeLora(copy);
        } catch (e) {
          copy.dispose();
          throw new RequestError(400, `cannot load the lora adapter at ${path}: ${(e as Error).message}`, 'lora_path', 'invalid_value');
        }
        copy.eval();
        adapters.set(name, { model: copy, batcher: newBatcher(copy), path });
        log(`loaded LoRA adapter '${name}' from ${path}`);
        sendText(res, 200, `Success: LoRA adapter '${name}' added successfully.`);
        return;
      }
      await (url === '/v1/chat/completions' ? chat : completions)(body as Record<string, unknown>, res);
    };
    handle()
      .catch((e: unknown) => {
        if (res.headersSent) {
          res.end();
          return;
        }
        if (e instanceof RequestError && e.status === 413) {
          // the rest of the body is unread: answer, then close the connection instead of reusing it
          res.setHeader('connection', 'close');
          res.once('finish', () => req.destroy());
          sendError(res, e);
        } else if (e instanceof RequestError) sendError(res, e);
        else sendJson(res, 500, { error: { message: (e as Error).message, type: 'server_error', param: null, code: null } });
      })
      .finally(() => log(`${req.method} ${url} ${res.statusCode} ${(performance.now() - started).toFixed(0)} ms`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8000, o.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    modelName,
    close: () =>
      new Promise<void>((resolve) => {
        batcher.close();
        for (const a of adapters.values()) a.batcher.close();
        server.closeAllConnections();
        server.close(() => {
          model.dispose();
          for (const a of adapters.values()) a.model.dispose();
          adapters.clear();
          resolve();
        });
      }),
  };
}

function countUsage(prompt: number[], outs: { tokens: number[] }[]) {
  const completion = outs.reduce((n, c) => n + c.tokens.length, 0);
  return { prompt_tokens: prompt.length, completion_tokens: completion, total_tokens: prompt.length + completion };
}
