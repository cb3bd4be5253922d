// `posttrain serve`: a model folder behind an OpenAI-compatible HTTP API (node:http, no framework):
//   GET  /v1/models
//   POST /v1/chat/completions   messages → assistant message; stream (SSE), n, stop, seed,
//                               logprobs (of the sampled tokens), usage
//   POST /v1/completions        prompt → text; stream, logprobs, echo-free
// On 127.0.0.1 by default, optional bearer token. One model, one generation at a time (requests
// queue; every one is answered). Bad requests get OpenAI-shaped 4xx errors naming the parameter, and
// the server stays up.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { loadModel, resolveDevice } from '../models/index.js';
import { Tokenizer, applyChatTemplate, StreamDecoder, type ChatMessage } from '../tokenizer/index.js';
import { generate, type Completion } from '../generation/index.js';
import { parseSamplingRequest, RequestError, type SamplingRequest } from './requests.js';

export interface ServeOptions {
  modelDir: string;
  /** 'cpu', 'cuda', 'cuda:N' or 'auto' (default). */
  device?: string;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Bearer token required on every request when set. */
  apiKey?: string | null;
  /** The model id clients must name (default: the folder's last path component). */
  modelName?: string;
  /** Largest max_tokens accepted (default 2048). */
  maxNewTokensCap?: number;
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

function sendError(res: ServerResponse, e: RequestError): void {
  sendJson(res, e.status, {
    error: { message: e.message, type: e.status === 401 ? 'authentication_error' : 'invalid_request_error', param: e.param, code: e.code },
  });
}

async function readBody(req: IncomingMessage): Promise<unknown> {
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

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const { model } = loadModel(o.modelDir, { device: resolveDevice(o.device ?? 'auto', "serve field 'device'") });
  model.eval();
  const tokenizer = Tokenizer.fromDir(o.modelDir);
  const modelName = o.modelName ?? o.modelDir.replace(/\/+$/, '').split('/').pop()!;
  const contextLength = model.config.rope.maxPositionEmbeddings;
  const log = o.log ?? (() => {});
  let queue: Promise<void> = Promise.resolve();
  const created = () => Math.floor(Date.now() / 1000);

  /** Runs the request's generation; streams deltas through `onPiece` when given. */
  const run = (prompt: number[], r: SamplingRequest, onPiece?: (index: number, text: string) => void): Completion[] => {
    if (prompt.length + r.maxTokens > contextLength) {
      throw new RequestError(
        400,
        `the prompt has ${prompt.length} tokens and max_tokens is ${r.maxTokens}: more than the model's context of ${contextLength}`,
        'messages',
        'context_length_exceeded',
      );
    }
    const decoders = Array.from({ length: r.n }, () => new StreamDecoder((ids) => tokenizer.decode(ids, { skipSpecialTokens: true })));
    return generate(
      model,
      Array.from({ length: r.n }, () => prompt),
      {
        maxNewTokens: r.maxTokens,
        temperature: r.temperature,
        topP: r.topP,
        seed: r.seed,
        eosTokenIds: tokenizer.eosTokenIds,
        padTokenId: tokenizer.padTokenId ?? 0,
        stopStrings: r.stop,
        detokenize: (ids) => tokenizer.decode(ids, { skipSpecialTokens: true }),
        onTokens: onPiece
          ? (step) => {
              for (const { index, token } of step) {
                const t = decoders[index]!.push(token);
                if (t) onPiece(index, t);
              }
            }
          : undefined,
      },
    );
  };
  const eos = new Set(tokenizer.eosTokenIds);
  /** The text and per-token log-probs of a completion, without the end token or the stop string. */
  const finish = (c: Completion) => {
    const tokens = c.tokens.filter((t, i) => !(i === c.tokens.length - 1 && eos.has(t)));
    let text = tokenizer.decode(tokens, { skipSpecialTokens: true });
    if (c.stopString && text.includes(c.stopString)) text = text.slice(0, text.lastIndexOf(c.stopString));
    return { text, tokens, logprobs: c.logprobs.slice(0, tokens.length), finish: c.finishReason === 'length' ? 'length' : 'stop' };
  };
  const tokenLogprobs = (tokens: number[], logprobs: number[]) =>
    tokens.map((t, i) => {
      const token = tokenizer.decode([t]);
      return { token, logprob: logprobs[i]!, bytes: [...Buffer.from(token, 'utf8')], top_logprobs: [] };
    });

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

  const chat = (body: Record<string, unknown>, res: ServerResponse) => {
    const r = parseSamplingRequest(body, { modelName, cap: o.maxNewTokensCap ?? 2048, chat: true });
    const prompt = tokenizer.encode(applyChatTemplate(tokenizer, r.messages as ChatMessage[], { addGenerationPrompt: true }));
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const head = { id, object: 'chat.completion.chunk', created: created(), model: modelName };
    if (!r.stream) {
      const outs = run(prompt, r).map(finish);
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created: created(),
        model: modelName,
        choices: outs.map((c, index) => ({
          index,
          message: { role: 'assistant', content: c.text },
          logprobs: r.logprobs ? { content: tokenLogprobs(c.tokens, c.logprobs) } : null,
          finish_reason: c.finish,
        })),
        usage: countUsage(prompt, outs),
      });
      return;
    }
    if (prompt.length + r.maxTokens > contextLength) run(prompt, r); // throws the 400 before the stream starts
    const send = sse(res);
    for (let index = 0; index < r.n; index++)
      send({ ...head, choices: [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
    const st = streamer(r.n, r.stop, (index, text) =>
      send({ ...head, choices: [{ index, delta: { content: text }, logprobs: null, finish_reason: null }] }),
    );
    const outs = run(prompt, r, st.piece).map(finish);
    outs.forEach((c, index) => {
      st.rest(index, c.text);
      send({
        ...head,
        choices: [
          { index, delta: {}, logprobs: r.logprobs ? { content: tokenLogprobs(c.tokens, c.logprobs) } : null, finish_reason: c.finish },
        ],
      });
    });
    if (r.includeUsage) send({ ...head, choices: [], usage: countUsage(prompt, outs) });
    send('[DONE]');
    res.end();
  };

  const completions = (body: Record<string, unknown>, res: ServerResponse) => {
    const r = parseSamplingRequest(body, { modelName, cap: o.maxNewTokensCap ?? 2048, chat: false });
    const prompt = tokenizer.encode(r.prompt!);
    const id = `cmpl-${randomBytes(12).toString('hex')}`;
    const logprobsOf = (c: ReturnType<typeof finish>) => {
      const tokens = c.tokens.map((t) => tokenizer.decode([t]));
      let offset = r.prompt!.length;
      return {
        tokens,
        token_logprobs: c.logprobs,
        top_logprobs: null,
        text_offset: tokens.map((t) => {
          const at = offset;
          offset += t.length;
          return at;
        }),
      };
    };
    if (!r.stream) {
      const outs = run(prompt, r).map(finish);
      sendJson(res, 200, {
        id,
        object: 'text_completion',
        created: created(),
        model: modelName,
        choices: outs.map((c, index) => ({ index, text: c.text, logprobs: r.logprobs ? logprobsOf(c) : null, finish_reason: c.finish })),
        usage: countUsage(prompt, outs),
      });
      return;
    }
    if (prompt.length + r.maxTokens > contextLength) run(prompt, r);
    const send = sse(res);
    const head = { id, object: 'text_completion', created: created(), model: modelName };
    const st = streamer(r.n, r.stop, (index, text) => send({ ...head, choices: [{ index, text, logprobs: null, finish_reason: null }] }));
    const outs = run(prompt, r, st.piece).map(finish);
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
      if (o.apiKey && req.headers.authorization !== `Bearer ${o.apiKey}`)
        throw new RequestError(401, 'missing or wrong bearer token', null, 'invalid_api_key');
      if (req.method === 'GET' && url === '/v1/models') {
        sendJson(res, 200, { object: 'list', data: [{ id: modelName, object: 'model', created: 0, owned_by: 'posttrain' }] });
        return;
      }
      if (req.method !== 'POST' || (url !== '/v1/chat/completions' && url !== '/v1/completions'))
        throw new RequestError(404, `no route ${req.method} ${url}`, null, 'not_found');
      const body = await readBody(req);
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new RequestError(400, 'the body must be a JSON object', null, 'invalid_body');
      // one generation at a time: wait for the requests before this one
      const turn = queue.then(() => (url === '/v1/chat/completions' ? chat : completions)(body as Record<string, unknown>, res));
      queue = turn.catch(() => {});
      await turn;
    };
    handle()
      .catch((e: unknown) => {
        if (res.headersSent) {
          res.end();
          return;
        }
        if (e instanceof RequestError) sendError(res, e);
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
        server.closeAllConnections();
        server.close(() => {
          model.dispose();
          resolve();
        });
      }),
  };
}

function countUsage(prompt: number[], outs: { tokens: number[] }[]) {
  const completion = outs.reduce((n, c) => n + c.tokens.length, 0);
  return { prompt_tokens: prompt.length, completion_tokens: completion, total_tokens: prompt.length + completion };
}
