// The annotation server refuses what another web page in the annotator's browser could send: a
// foreign Host (DNS rebinding) 421, a foreign Origin 403, a text/plain POST 415, a POST without the
// session's token 403 — each with a JSON error naming what was wrong, and nothing recorded in
// decisions.jsonl. The page's own requests (the loopback names, the token from the page) go through;
// on a non-loopback bind address Host is checked only when allowed hosts are given.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillQueue, readQueue, DECISIONS_FILE } from '../../src/annotate/queue.js';
import { startAnnotationServer, type AnnotationServer } from '../../src/annotate/server.js';
import type { ChatBackend } from '../../src/generation/chat_backend.js';
import { rawRequest } from '../helpers/raw_http.js';

const root = mkdtempSync(join(tmpdir(), 'posttrain-annotate-guard-'));
after(() => rmSync(root, { recursive: true, force: true }));

const echo: ChatBackend = {
  description: 'echo',
  dispose: () => {},
  chat: async (r) => ({ texts: [`answer to ${r.messages[0]!.content}`], lengths: [null], finishReasons: ['stop'] }),
};

async function makeQueue(name: string): Promise<{ dir: string; id: string }> {
  const dir = join(root, name);
  await fillQueue(echo, [{ messages: [{ role: 'user', content: 'one' }] }, { messages: [{ role: 'user', content: 'two' }] }], dir, {
    maxTokens: 8,
    temperature: 0,
  });
  return { dir, id: readQueue(dir).items[0]!.id };
}

const raw = (port: number, method: string, path: string, headers: Record<string, string>, body?: string) =>
  rawRequest<{ error: string }>(port, method, path, headers, body);

async function tokenOf(s: AnnotationServer): Promise<string> {
  const html = (await raw(s.port, 'GET', '/', {})).text;
  const m = /<meta name="annotate-token" content="([0-9a-f]{64})">/.exec(html);
  assert.ok(m, 'the page carries the session token');
  return m[1]!;
}

const decisions = (dir: string) => (existsSync(join(dir, DECISIONS_FILE)) ? readFileSync(join(dir, DECISIONS_FILE), 'utf8') : '');

test("a Host that is not the server's is refused with 421 naming it and the flag; the loopback names answer", async () => {
  const { dir, id } = await makeQueue('host');
  const s = await startAnnotationServer({ dir });
  try {
    const token = await tokenOf(s);
    const evil = await raw(s.port, 'GET', '/api/state', { host: 'evil.example' });
    assert.equal(evil.status, 421);
    assert.match(
      evil.json().error,
      /^Host 'evil\.example' is not allowed: this server on 127\.0\.0\.1:\d+ answers to localhost, 127\.0\.0\.1, \[::1\] \(a guard against DNS rebinding\); to serve this name, start it with --allowed-hosts=evil\.example/,
    );
    assert.equal((await raw(s.port, 'GET', '/', { host: `evil.example:${s.port}` })).status, 421, 'the page itself is not served');
    assert.equal((await raw(s.port, 'GET', '/', { host: 'localhost:1' })).status, 421, 'a loopback name with another port');
    const body = JSON.stringify({ id, decision: 'accept' });
    const rebound = await raw(
      s.port,
      'POST',
      '/api/decision',
      { host: 'evil.example', 'content-type': 'application/json', 'x-annotate-token': token },
      body,
    );
    assert.equal(rebound.status, 421);
    assert.equal(decisions(dir), '', 'nothing recorded');
    for (const host of ['localhost', `localhost:${s.port}`, `127.0.0.1:${s.port}`, `[::1]:${s.port}`, 'LOCALHOST'])
      assert.equal((await raw(s.port, 'GET', '/api/state', { host })).status, 200, host);
  } finally {
    await s.close();
  }
  const allowed = await startAnnotationServer({ dir, allowedHosts: ['evil.example'] });
  try {
    assert.equal((await raw(allowed.port, 'GET', '/api/state', { host: 'evil.example' })).status, 200, '--allowed-hosts adds a name');
    assert.equal((await raw(allowed.port, 'GET', '/api/state', { host: 'other.example' })).status, 421);
  } finally {
    await allowed.close();
  }
  await assert.rejects(
    startAnnotationServer({ dir, allowedHosts: ['http://box.lan/'] }),
    /--allowed-hosts: 'http:\/\/box\.lan\/' is not a host name or host:port/,
  );
});

test('a POST from another Origin is refused with 403 and records nothing; the own origin is fine', async () => {
  const { dir, id } = await makeQueue('origin');
  const s = await startAnnotationServer({ dir });
  try {
    const token = await tokenOf(s);
    const post = (origin: string) =>
      raw(
        s.port,
        'POST',
        '/api/decision',
        { origin, 'content-type': 'application/json', 'x-annotate-token': token },
        JSON.stringify({ id, decision: 'reject' }),
      );
    const evil = await post('http://evil.example');
    assert.equal(evil.status, 403);
    assert.match(
      evil.json().error,
      /^cross-origin request from Origin 'http:\/\/evil\.example' refused: this server answers requests from its own origin \(http:\/\/127\.0\.0\.1:\d+\) or without an Origin header \(curl, SDKs\); to allow pages from that host, start it with --allowed-hosts=evil\.example$/,
    );
    assert.equal((await post('null')).status, 403, 'an opaque origin (sandboxed frame, file://)');
    assert.equal((await post(`http://localhost:${s.port + 1}`)).status, 403, 'another port on this machine');
    assert.equal(decisions(dir), '', 'nothing recorded');
    assert.equal((await post(`http://127.0.0.1:${s.port}`)).status, 200, 'the page at its own origin');
    assert.equal((await post(`http://localhost:${s.port}`)).status, 200, 'the page opened as localhost');
    assert.equal(readQueue(dir).decisions[id]!.decision, 'reject');
  } finally {
    await s.close();
  }
});

test('a text/plain POST (a cross-site form) is 415 naming the type; nothing is recorded', async () => {
  const { dir, id } = await makeQueue('type');
  const s = await startAnnotationServer({ dir });
  try {
    const token = await tokenOf(s);
    const body = JSON.stringify({ id, decision: 'accept' });
    const plain = await raw(
      s.port,
      'POST',
      '/api/decision',
      { 'content-type': 'text/plain;charset=UTF-8', 'x-annotate-token': token },
      body,
    );
    assert.equal(plain.status, 415);
    assert.equal(plain.json().error, "POST /api/decision needs Content-Type: application/json, got 'text/plain;charset=UTF-8'");
    const none = await raw(s.port, 'POST', '/api/decision', { 'x-annotate-token': token }, body);
    assert.equal(none.status, 415);
    assert.match(none.json().error, /got none$/);
    const form = await raw(
      s.port,
      'POST',
      '/api/decision',
      { 'content-type': 'application/x-www-form-urlencoded', 'x-annotate-token': token },
      body,
    );
    assert.equal(form.status, 415);
    assert.equal(decisions(dir), '', 'nothing recorded');
    const ok = await raw(
      s.port,
      'POST',
      '/api/decision',
      { 'content-type': 'Application/JSON; charset=utf-8', 'x-annotate-token': token },
      body,
    );
    assert.equal(ok.status, 200, 'a charset parameter is fine');
  } finally {
    await s.close();
  }
});

test("a POST without the session's token, or with a wrong one, is 403 and records nothing; the page's token records", async () => {
  const { dir, id } = await makeQueue('token');
  const s = await startAnnotationServer({ dir });
  let token = '';
  try {
    token = await tokenOf(s);
    const body = JSON.stringify({ id, decision: 'accept' });
    const missing = await raw(s.port, 'POST', '/api/decision', { 'content-type': 'application/json' }, body);
    assert.equal(missing.status, 403);
    assert.equal(
      missing.json().error,
      "no X-Annotate-Token header: decisions are taken only from this session's annotation page (reload the page if the server was restarted)",
    );
    const wrong = await raw(
      s.port,
      'POST',
      '/api/decision',
      { 'content-type': 'application/json', 'x-annotate-token': '0'.repeat(64) },
      body,
    );
    assert.equal(wrong.status, 403);
    assert.match(wrong.json().error, /^a wrong X-Annotate-Token header/);
    const short = await raw(s.port, 'POST', '/api/decision', { 'content-type': 'application/json', 'x-annotate-token': 'abc' }, body);
    assert.equal(short.status, 403);
    assert.equal(decisions(dir), '', 'nothing recorded');
    const ok = await raw(s.port, 'POST', '/api/decision', { 'content-type': 'application/json', 'x-annotate-token': token }, body);
    assert.equal(ok.status, 200);
    assert.equal(readQueue(dir).decisions[id]!.decision, 'accept');
    assert.equal(decisions(dir).trim().split('\n').length, 1);
  } finally {
    await s.close();
  }
  const next = await startAnnotationServer({ dir });
  try {
    assert.notEqual(await tokenOf(next), token, 'each session has its own token');
    const old = await raw(
      next.port,
      'POST',
      '/api/decision',
      { 'content-type': 'application/json', 'x-annotate-token': token },
      JSON.stringify({ id, decision: 'reject' }),
    );
    assert.equal(old.status, 403, "the last session's token is no longer good");
    assert.equal(decisions(dir).trim().split('\n').length, 1);
  } finally {
    await next.close();
  }
});

test('on a non-loopback address (0.0.0.0) any Host answers unless allowed hosts are given; Origin and token still apply', async () => {
  const { dir, id } = await makeQueue('exposed');
  const open = await startAnnotationServer({ dir, host: '0.0.0.0' });
  try {
    assert.equal((await raw(open.port, 'GET', '/api/state', { host: 'box.lan:8080' })).status, 200);
    const token = await tokenOf(open);
    const body = JSON.stringify({ id, decision: 'accept' });
    const cross = await raw(
      open.port,
      'POST',
      '/api/decision',
      { host: 'box.lan', origin: 'http://evil.example', 'content-type': 'application/json', 'x-annotate-token': token },
      body,
    );
    assert.equal(cross.status, 403);
    const same = await raw(
      open.port,
      'POST',
      '/api/decision',
      { host: 'box.lan:8080', origin: 'http://box.lan:8080', 'content-type': 'application/json', 'x-annotate-token': token },
      body,
    );
    assert.equal(same.status, 200, 'a page served as box.lan posts to box.lan');
  } finally {
    await open.close();
  }
  const listed = await startAnnotationServer({ dir, host: '0.0.0.0', allowedHosts: ['box.lan'] });
  try {
    assert.equal((await raw(listed.port, 'GET', '/api/state', { host: 'box.lan:8080' })).status, 200);
    assert.equal((await raw(listed.port, 'GET', '/api/state', { host: 'evil.example' })).status, 421);
  } finally {
    await listed.close();
  }
  const any = await startAnnotationServer({ dir, allowedHosts: ['*'] });
  try {
    assert.equal((await raw(any.port, 'GET', '/api/state', { host: 'evil.example' })).status, 200, "'*' allows any Host");
  } finally {
    await any.close();
  }
});
