// The remote backend against a real local HTTP server that fails on purpose: retries with backoff
// on 5xx / 429 / timeouts, no retry on other 4xx, Retry-After honoured (and one retry loop, not
// the SDK's stacked on ours), the concurrency limit, and the on-disk cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { RemoteModel } from '../../src/remote/client.js';

// The server's behaviour per request, by the first user message: "fail N" → 500 for the first N
// calls with that text, "busy" → 429 once, "slow" → the first call hangs 2 s, "bad" → 400,
// "wait" → answers after 100 ms (to measure concurrency), "after {headers}" → the first call is a
// 429 (or "after503 {headers}" a 503) with those headers ("DATE+2" becomes an HTTP date 2 s ahead).
// Everything else answers at once.
const seen = new Map<string, number>();
let waitingNow = 0,
  maxWaiting = 0,
  hits = 0;
let server: Server,
  baseURL = '';
const cacheDir = mkdtempSync(join(tmpdir(), 'posttrain-remote-'));

before(async () => {
  server = createServer(async (req, res) => {
    hits++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const text: string = body.messages?.[0]?.content ?? body.prompt;
    const n = (seen.get(text) ?? 0) + 1;
    seen.set(text, n);
    const reply = (status: number, obj: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    const ok = () =>
      reply(
        200,
        body.messages
          ? {
              id: 'x',
              object: 'chat.completion',
              created: 0,
              model: body.model,
              choices: [{ index: 0, message: { role: 'assistant', content: `echo ${text} #${n}` }, finish_reason: 'stop', logprobs: null }],
              usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
            }
          : {
              id: 'y',
              object: 'text_completion',
              created: 0,
              model: body.model,
              choices: [{ index: 0, text: ` done #${n}`, finish_reason: 'length', logprobs: null }],
              usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 },
            },
      );
    const m = /^fail (\d+)$/.exec(text);
    if (m && n <= Number(m[1])) return reply(500, { error: { message: 'boom', type: 'server_error' } });
    if (text === 'busy' && n === 1) return reply(429, { error: { message: 'slow down', type: 'rate_limit' } });
    const after = /^after(503)? (.*)$/.exec(text);
    if (after && n === 1) {
      const headers = JSON.parse(after[2]!.replace('DATE+2', new Date(Date.now() + 2000).toUTCString())) as Record<string, string>;
      res.writeHead(after[1] ? 503 : 429, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ error: { message: 'rate limited', type: 'rate_limit' } }));
      return;
    }
    if (text === 'bad') return reply(400, { error: { message: 'no such thing', type: 'invalid_request_error' } });
    if (text === 'slow' && n === 1) {
      setTimeout(() => res.destroy(), 2000);
      return;
    }
    if (text.startsWith('wait')) {
      waitingNow++;
      maxWaiting = Math.max(maxWaiting, waitingNow);
      setTimeout(() => {
        waitingNow--;
        ok();
      }, 100);
      return;
    }
    ok();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(cacheDir, { recursive: true, force: true });
});

const user = (content: string) => [{ role: 'user' as const, content }];

test('transient failures are retried with backoff until they pass: 5xx twice, 429 once, a timeout', async () => {
  const m = new RemoteModel({ baseURL, model: 'm', retries: 3, backoffMs: 20, timeoutMs: 500 });
  const t = performance.now();
  assert.equal((await m.chat(user('fail 2'))).texts[0], 'echo fail 2 #3');
  assert.ok(performance.now() - t >= 20 * 0.75 + 40 * 0.75, 'waited between attempts (20 ms, then 40 ms, ±25%)');
  assert.equal((await m.chat(user('busy'))).texts[0], 'echo busy #2');
  assert.equal((await m.chat(user('slow'))).texts[0], 'echo slow #2', 'the first attempt timed out after 500 ms and was retried');
  assert.deepEqual({ retries: m.stats.retries, failures: m.stats.failures }, { retries: 4, failures: 0 });
  const done = await m.complete('plain');
  assert.deepEqual([done.texts, done.finishReasons, done.usage], [[' done #1'], ['length'], { prompt: 2, completion: 2 }]);
});

test('a persistent failure gives up after the retries with the server and model in the message; a 400 is not retried', async () => {
  const m = new RemoteModel({ baseURL, model: 'judge', retries: 2, backoffMs: 5 });
  await assert.rejects(m.chat(user('fail 9')), /remote chat at http:\/\/127\.0\.0\.1:\d+\/v1 \(model judge\) failed after 3 attempt\(s\)/);
  const before = hits;
  await assert.rejects(m.chat(user('bad')), /failed after 1 attempt\(s\).*no such thing/);
  assert.equal(hits - before, 1, 'one request, no retry');
  assert.equal(m.stats.failures, 2);
});

test('the concurrency limit bounds requests in flight; all are answered', async () => {
  maxWaiting = 0;
  const m = new RemoteModel({ baseURL, model: 'm', concurrency: 3 });
  const out = await Promise.all(Array.from({ length: 10 }, (_, i) => m.chat(user(`wait ${i}`))));
  assert.equal(out.length, 10);
  assert.equal(maxWaiting, 3);
});

test('the on-disk cache answers a repeated request without the server, across instances; another seed misses it', async () => {
  const a = new RemoteModel({ baseURL, model: 'm', cacheDir });
  const first = await a.chat(user('cache me'), { temperature: 0.7, seed: 1, maxTokens: 5 });
  const before = hits;
  const b = new RemoteModel({ baseURL, model: 'm', cacheDir });
  const again = await b.chat(user('cache me'), { temperature: 0.7, seed: 1, maxTokens: 5 });
  assert.equal(hits, before, 'no request reached the server');
  assert.deepEqual([again.texts, again.cached, b.stats.cacheHits], [first.texts, true, 1]);
  const other = await b.chat(user('cache me'), { temperature: 0.7, seed: 2, maxTokens: 5 });
  assert.equal(other.cached, false);
  assert.notDeepEqual(other.texts, first.texts);
});

test('Retry-After on a 429 / 503 is waited out (seconds, an HTTP date, retry-after-ms), then the call succeeds; one retry loop', async () => {
  const m = new RemoteModel({ baseURL, model: 'm', retries: 3, backoffMs: 5 });
  const timed = async (text: string) => {
    const before = hits;
    const t = performance.now();
    const r = await m.chat(user(text));
    return { text: r.texts[0], ms: performance.now() - t, requests: hits - before };
  };
  const seconds = await timed('after {"retry-after": "1"}');
  assert.equal(seconds.text, 'echo after {"retry-after": "1"} #2');
  assert.ok(seconds.ms >= 950, `waited ${seconds.ms.toFixed(0)} ms for Retry-After: 1 (the backoff alone is 5 ms)`);
  assert.equal(seconds.requests, 2, 'exactly two requests: the SDK does not retry on its own as well');
  const date = await timed('after503 {"retry-after": "DATE+2"}');
  assert.equal(date.text, 'echo after503 {"retry-after": "DATE+2"} #2');
  assert.ok(date.ms >= 950, `waited ${date.ms.toFixed(0)} ms for an HTTP date 2 s ahead (1 s resolution)`);
  const ms = await timed('after {"retry-after-ms": "300", "retry-after": "30"}');
  assert.ok(ms.ms >= 290 && ms.ms < 5000, `retry-after-ms wins over retry-after: waited ${ms.ms.toFixed(0)} ms`);
  assert.deepEqual({ retries: m.stats.retries, failures: m.stats.failures }, { retries: 3, failures: 0 });
});

test('a Retry-After longer than maxRetryAfterMs fails at once, saying what the server asked', async () => {
  const m = new RemoteModel({ baseURL, model: 'm', retries: 3, backoffMs: 5, maxRetryAfterMs: 10_000 });
  const t = performance.now();
  await assert.rejects(
    m.chat(user('after {"retry-after": "3600"}')),
    /failed after 1 attempt\(s\) \(the server asks to retry after 3600\.0 s, over maxRetryAfterMs 10000 ms\): 429/,
  );
  assert.ok(performance.now() - t < 2000, 'no waiting');
});
