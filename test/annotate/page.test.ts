// The annotation page and its server: headless Chromium accepts item 1 with `a`, edits item 2 with
// `e` + typing + Ctrl+Enter (keys typed into the text do not act as shortcuts), rejects item 3 with
// `r`, and navigates with k/j/arrows/n; a NEW server on the same folder shows the three decisions
// after a reload, decisions.jsonl holds them, and the export has the two kept rows with the edited
// text. Bad HTTP requests get 4xx JSON errors, write nothing, and the server keeps answering. Another
// site open in the same browser cannot decide: its cross-origin POST and a DNS-rebound name record nothing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { fillQueue, exportAccepted, DECISIONS_FILE, type QueuePrompt } from '../../src/annotate/queue.js';
import { startAnnotationServer } from '../../src/annotate/server.js';
import type { ChatBackend } from '../../src/generation/chat_backend.js';
import { withBrowser, CHROMIUM } from '../helpers/browser.js';

const root = mkdtempSync(join(tmpdir(), 'posttrain-annotate-page-'));
after(() => rmSync(root, { recursive: true, force: true }));

const echo: ChatBackend = {
  description: 'echo',
  dispose: () => {},
  chat: async (r) => ({
    texts: [`model answer to: ${r.messages[r.messages.length - 1]!.content}`],
    lengths: [null],
    finishReasons: ['stop'],
  }),
};

async function makeQueue(name: string, n: number): Promise<string> {
  const dir = join(root, name);
  const prompts: QueuePrompt[] = Array.from({ length: n }, (_, i) => ({ messages: [{ role: 'user', content: `prompt number ${i + 1}` }] }));
  await fillQueue(echo, prompts, dir, { maxTokens: 8, temperature: 0 });
  return dir;
}

const text = async (page: Page, id: string) => (await page.locator(`#${id}`).textContent()) ?? '';
/** Waits until #id's text equals `want` (the page updates after the server answers). */
async function waitText(page: Page, id: string, want: string): Promise<void> {
  try {
    await page.waitForFunction(`document.getElementById(${JSON.stringify(id)}).textContent === ${JSON.stringify(want)}`, undefined, {
      timeout: 5000,
    });
  } catch {
    assert.fail(
      `#${id}: expected ${JSON.stringify(want)}, got ${JSON.stringify(await text(page, id))} (message: ${JSON.stringify(await text(page, 'message'))})`,
    );
  }
}
const focusedId = (page: Page) => page.evaluate('document.activeElement ? document.activeElement.id : ""') as Promise<string>;

test('annotate with the keyboard; a new server on the same folder shows every decision; export has the kept rows', async () => {
  const dir = await makeQueue('keyboard', 4);
  let server = await startAnnotationServer({ dir });
  try {
    await withBrowser(async (page) => {
      await page.goto(server.url);
      await page.waitForSelector('body[data-ready="true"]');
      await waitText(page, 'progress', '0 of 4 decided — 0 accepted, 0 edited, 0 rejected');
      await waitText(page, 'position', 'Item 1 of 4');
      assert.match(await text(page, 'prompt'), /prompt number 1/);
      assert.equal(await page.inputValue('#response'), 'model answer to: prompt number 1');
      assert.match(await text(page, 'shortcuts'), /Ctrl\+Enter saves the text as an edit/);

      await page.keyboard.press('a');
      await waitText(page, 'progress', '1 of 4 decided — 1 accepted, 0 edited, 0 rejected');
      await waitText(page, 'position', 'Item 2 of 4');

      await page.keyboard.press('e');
      assert.equal(await focusedId(page), 'response', 'e focuses the response');
      assert.equal(await page.inputValue('#response'), 'model answer to: prompt number 2', 'the e itself is not typed');
      await page.keyboard.press('Control+A');
      await page.keyboard.type('a better answer, rewritten by hand'); // contains a, r, e, j, k, n: none may act
      assert.equal(await text(page, 'progress'), '1 of 4 decided — 1 accepted, 0 edited, 0 rejected');
      assert.equal(await text(page, 'position'), 'Item 2 of 4');
      await page.keyboard.press('Control+Enter');
      await waitText(page, 'progress', '2 of 4 decided — 1 accepted, 1 edited, 0 rejected');
      await waitText(page, 'position', 'Item 3 of 4');
      assert.notEqual(await focusedId(page), 'response', 'after saving, the keys are shortcuts again');

      await page.keyboard.press('r');
      await waitText(page, 'progress', '3 of 4 decided — 1 accepted, 1 edited, 1 rejected');
      await waitText(page, 'position', 'Item 4 of 4');

      // navigation
      await page.keyboard.press('k');
      await waitText(page, 'position', 'Item 3 of 4');
      assert.match(await text(page, 'decision'), /^rejected \(human, /);
      await page.keyboard.press('ArrowLeft');
      await waitText(page, 'position', 'Item 2 of 4');
      await page.keyboard.press('j');
      await page.keyboard.press('ArrowRight');
      await waitText(page, 'position', 'Item 4 of 4');
      await page.keyboard.press('k');
      await page.keyboard.press('k');
      await page.keyboard.press('k');
      await waitText(page, 'position', 'Item 1 of 4');
      await page.keyboard.press('n');
      await waitText(page, 'position', 'Item 4 of 4');
      // Escape leaves the text unsaved and gives the keys back to navigation
      await page.keyboard.press('e');
      await page.keyboard.type(' unsaved');
      await page.keyboard.press('Escape');
      await page.keyboard.press('k');
      await waitText(page, 'position', 'Item 3 of 4');
      assert.equal(await text(page, 'progress'), '3 of 4 decided — 1 accepted, 1 edited, 1 rejected');

      await server.close();
      server = await startAnnotationServer({ dir });
      await page.goto(server.url);
      await page.waitForSelector('body[data-ready="true"]');
      await waitText(page, 'progress', '3 of 4 decided — 1 accepted, 1 edited, 1 rejected');
      await waitText(page, 'position', 'Item 4 of 4');
      await page.locator('#item-list button', { hasText: '2.' }).click();
      await waitText(page, 'position', 'Item 2 of 4');
      assert.equal(await page.inputValue('#response'), 'a better answer, rewritten by hand');
      assert.match(await text(page, 'decision'), /^edited \(human, /);
      assert.equal(await page.locator('#item-list button').count(), 4);
    });
  } finally {
    await server.close();
  }
  const lines = readFileSync(join(dir, DECISIONS_FILE), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((d) => [d.decision, d.annotator]),
    [
      ['accept', 'human'],
      ['edit', 'human'],
      ['reject', 'human'],
    ],
  );
  assert.equal(lines[1].response, 'a better answer, rewritten by hand');
  const out = join(root, 'sft.jsonl');
  assert.deepEqual(exportAccepted(dir, out), { rows: 2, accepted: 1, edited: 1, rejected: 1, undecided: 1 });
  const rows = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    rows.map((r) => r.messages[1].content),
    ['model answer to: prompt number 1', 'a better answer, rewritten by hand'],
  );
});

test('bad requests get 4xx JSON errors and write nothing; the server keeps answering', async () => {
  const dir = await makeQueue('http', 2);
  const server = await startAnnotationServer({ dir });
  try {
    const page = await fetch(server.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no external resources');
    assert.match(html, /<style>[\s\S]+<\/style>[\s\S]+<script>[\s\S]+<\/script>/);
    const token = /<meta name="annotate-token" content="([0-9a-f]+)">/.exec(html)![1]!;

    const post = (body: string) =>
      fetch(`${server.url}api/decision`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-annotate-token': token },
        body,
      });
    const expectError = async (r: Response, status: number, re: RegExp) => {
      assert.equal(r.status, status);
      const j = (await r.json()) as { error: string };
      assert.match(j.error, re);
    };
    const state0 = (await (await fetch(`${server.url}api/state`)).json()) as { items: { id: string }[] };
    const id = state0.items[0]!.id;
    await expectError(await post('{"id": "x", '), 400, /not valid JSON/);
    await expectError(await post('[1, 2]'), 400, /must be a JSON object/);
    await expectError(await post('{"decision": "accept"}'), 400, /field 'id'/);
    await expectError(await post(JSON.stringify({ id: 'no-such-id', decision: 'accept' })), 404, /no item with id 'no-such-id'/);
    await expectError(await post(JSON.stringify({ id, decision: 'maybe' })), 400, /decision must be one of accept, edit, reject/);
    await expectError(await post(JSON.stringify({ id, decision: 'edit' })), 400, /edit needs the edited response text/);
    await expectError(await post(JSON.stringify({ id, decision: 'edit', response: 42 })), 400, /response must be a string/);
    await expectError(await fetch(`${server.url}api/decision`), 405, /use POST/);
    await expectError(await fetch(`${server.url}nowhere`), 404, /no route GET \/nowhere/);
    assert.ok(!existsSync(join(dir, DECISIONS_FILE)), 'no bad request wrote a decision');

    const ok = await post(JSON.stringify({ id, decision: 'edit', response: 'fixed text' }));
    assert.equal(ok.status, 200);
    const state = (await ok.json()) as { progress: { decided: number; edited: number }; decisions: Record<string, { response: string }> };
    assert.deepEqual([state.progress.decided, state.progress.edited], [1, 1]);
    assert.equal(state.decisions[id]!.response, 'fixed text');
    assert.equal(readFileSync(join(dir, DECISIONS_FILE), 'utf8').trim().split('\n').length, 1);
  } finally {
    await server.close();
  }
  await assert.rejects(startAnnotationServer({ dir: join(root, 'absent') }), /absent: no such folder/);
});

test('another site in the same browser cannot decide: a cross-origin POST and a DNS-rebound name record nothing', async () => {
  const dir = await makeQueue('attack', 2);
  const server = await startAnnotationServer({ dir });
  const id = ((await (await fetch(`${server.url}api/state`)).json()) as { items: { id: string }[] }).items[0]!.id;
  // the attacker's page, on another origin of this machine: a "simple" POST needs no preflight
  const attack = `<!doctype html><body><script>
    fetch(${JSON.stringify(`${server.url}api/decision`)}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
      body: ${JSON.stringify(JSON.stringify({ id, decision: 'accept' }))} })
      .then(function () { document.body.setAttribute('data-done', 'sent'); }, function () { document.body.setAttribute('data-done', 'failed'); });
  </script></body>`;
  const evil = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attack));
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  // evil.example resolves to 127.0.0.1 in this browser, as after DNS rebinding
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--host-resolver-rules=MAP evil.example 127.0.0.1'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
    await page.waitForSelector('body[data-done]', { state: 'attached' });
    const rebound = await page.goto(`http://evil.example:${server.port}/`);
    assert.equal(rebound!.status(), 421, 'the page is not served under a rebound name');
    assert.match(await rebound!.text(), /Host 'evil\.example:\d+' is not allowed/);
    const posted = await page.evaluate(
      `fetch('/api/decision', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(JSON.stringify({ id, decision: 'reject' }))} }).then(function (r) { return r.status; })`,
    );
    assert.equal(posted, 421, 'a same-origin POST under the rebound name');
  } finally {
    await browser.close();
    evil.close();
    await server.close();
  }
  assert.ok(!existsSync(join(dir, DECISIONS_FILE)), 'no decision was recorded');
});
