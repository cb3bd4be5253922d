// posttrain serve refuses what a web page in a browser on this machine could send, key or no key: a
// foreign Host (DNS rebinding of the loopback server) 421, a foreign Origin 403, a text/plain POST
// (a "simple" cross-site request the browser sends without asking) 415 — OpenAI-shaped errors
// naming the header — while the openai SDK, curl-like clients without Origin, and the loopback names
// keep working. On 0.0.0.0 Host is checked only when allowed hosts are given.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { makeSftSetup, saveTinyModel } from '../helpers/sft_setup.js';
import { rawRequest } from '../helpers/raw_http.js';

const setup = makeSftSetup(8);
const modelDir = join(setup.dir, 'tiny-chat');
saveTinyModel(setup, modelDir, 3);
let server: RunningServer;
before(async () => {
  server = await startServer({ modelDir, port: 0, modelName: 'tiny' });
});
after(async () => {
  await server.close();
  rmSync(setup.dir, { recursive: true, force: true });
});

interface OpenAIError {
  error: { message: string; type: string; param: string | null; code: string | null };
}
const raw = (port: number, method: string, path: string, headers: Record<string, string>, body?: string) =>
  rawRequest<OpenAIError>(port, method, path, headers, body);

const chatBody = JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
const json = { 'content-type': 'application/json' };

test("a Host that is not the server's is 421 with an OpenAI-shaped error naming it; loopback names answer", async () => {
  const evil = await raw(server.port, 'GET', '/v1/models', { host: 'evil.example' });
  assert.equal(evil.status, 421);
  const e = evil.json().error;
  assert.equal(e.code, 'host_not_allowed');
  assert.equal(e.type, 'invalid_request_error');
  assert.match(
    e.message,
    /^Host 'evil\.example' is not allowed: this server on 127\.0\.0\.1:\d+ answers to localhost, 127\.0\.0\.1, \[::1\] \(a guard against DNS rebinding\); to serve this name, start it with --allowed-hosts=evil\.example \(comma-separated, '\*' for any\)$/,
  );
  assert.equal(
    (await raw(server.port, 'POST', '/v1/chat/completions', { ...json, host: `evil.example:${server.port}` }, chatBody)).status,
    421,
  );
  for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`, 'localhost'])
    assert.equal((await raw(server.port, 'GET', '/health', { host })).status, 200, host);
  assert.equal((await raw(server.port, 'GET', '/health', { host: `localhost:${server.port + 1}` })).status, 421, 'another port');
});

test('a POST from another Origin is 403 naming it; the own origin and no Origin (SDKs, curl) are served', async () => {
  const evil = await raw(server.port, 'POST', '/v1/chat/completions', { ...json, origin: 'http://evil.example' }, chatBody);
  assert.equal(evil.status, 403);
  assert.equal(evil.json().error.code, 'origin_not_allowed');
  assert.match(evil.json().error.message, /^cross-origin request from Origin 'http:\/\/evil\.example' refused/);
  assert.equal((await raw(server.port, 'GET', '/v1/models', { origin: 'http://evil.example' })).status, 403, 'a cross-site read too');
  const own = await raw(server.port, 'POST', '/v1/chat/completions', { ...json, origin: `http://127.0.0.1:${server.port}` }, chatBody);
  assert.equal(own.status, 200);
  assert.equal((await raw(server.port, 'POST', '/v1/chat/completions', json, chatBody)).status, 200);
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  assert.equal(
    (await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 })).object,
    'chat.completion',
  );
});

test('a POST that is not Content-Type: application/json is 415 naming the type, with or without a key', async () => {
  const plain = await raw(server.port, 'POST', '/v1/chat/completions', { 'content-type': 'text/plain;charset=UTF-8' }, chatBody);
  assert.equal(plain.status, 415);
  assert.deepEqual(plain.json().error, {
    message: "POST /v1/chat/completions needs Content-Type: application/json, got 'text/plain;charset=UTF-8'",
    type: 'invalid_request_error',
    param: null,
    code: 'unsupported_media_type',
  });
  const none = await raw(server.port, 'POST', '/v1/completions', {}, JSON.stringify({ model: 'tiny', prompt: 'a', max_tokens: 1 }));
  assert.equal(none.status, 415);
  assert.match(none.json().error.message, /^POST \/v1\/completions needs Content-Type: application\/json, got none$/);
  const charset = await raw(server.port, 'POST', '/v1/chat/completions', { 'content-type': 'application/json; charset=utf-8' }, chatBody);
  assert.equal(charset.status, 200, 'a charset parameter is fine');
  const locked = await startServer({ modelDir, port: 0, modelName: 'tiny', apiKey: 'k' });
  try {
    const r = await raw(locked.port, 'POST', '/v1/chat/completions', { authorization: 'Bearer k', 'content-type': 'text/plain' }, chatBody);
    assert.equal(r.status, 415);
  } finally {
    await locked.close();
  }
});

test("on 0.0.0.0 any Host answers unless allowed hosts are given; '*' allows any; a bad entry is refused at start", async () => {
  const open = await startServer({ modelDir, host: '0.0.0.0', port: 0, modelName: 'tiny' });
  try {
    assert.equal((await raw(open.port, 'GET', '/health', { host: 'box.lan' })).status, 200, 'the user chose exposure');
    assert.equal((await raw(open.port, 'GET', '/health', { host: 'box.lan', origin: 'http://evil.example' })).status, 403);
  } finally {
    await open.close();
  }
  const listed = await startServer({ modelDir, host: '0.0.0.0', port: 0, modelName: 'tiny', allowedHosts: ['box.lan'] });
  try {
    assert.equal((await raw(listed.port, 'GET', '/health', { host: 'box.lan:9999' })).status, 200);
    assert.equal((await raw(listed.port, 'GET', '/health', { host: 'evil.example' })).status, 421);
  } finally {
    await listed.close();
  }
  const any = await startServer({ modelDir, port: 0, modelName: 'tiny', allowedHosts: ['*'] });
  try {
    assert.equal((await raw(any.port, 'GET', '/health', { host: 'evil.example', origin: 'http://evil.example' })).status, 200);
  } finally {
    await any.close();
  }
  await assert.rejects(
    startServer({ modelDir, port: 0, allowedHosts: ['box.lan/v1'] }),
    /--allowed-hosts: 'box\.lan\/v1' is not a host name or host:port/,
  );
});
