// Code reward: fenced-block extraction, stdio and call tests in Python and JavaScript, and the
// sandbox holding against hostile programs (each attack is reported as a failed test with a
// reason, and the host is checked afterwards: files, processes, sockets, this process alive).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { extractCode, normalizeOutput, verifyCode } from '../../src/rewards/code.js';
import { runSandboxed } from '../../src/rewards/sandbox.js';
import { liveSandboxProcesses } from '../helpers/sandbox_procs.js';

const py = (code: string) => '```python\n' + code + '\n```';
const js = (code: string) => '```javascript\n' + code + '\n```';

/** Processes being torn down by SIGKILL can take a moment to leave /proc: poll briefly. */
async function sandboxProcesses(): Promise<number[]> {
  let pids = liveSandboxProcesses();
  for (let i = 0; i < 20 && pids.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    pids = liveSandboxProcesses();
  }
  return pids;
}

function assertAllFailed(results: { passed: boolean; reason: string }[], pattern: RegExp): void {
  for (const r of results) {
    assert.equal(r.passed, false, `expected a failure, got ${JSON.stringify(r)}`);
    assert.match(r.reason, pattern);
  }
}

test('extractCode: last block of the language, else last block, else null', () => {
  const text = 'a\n```python\nx = 1\n```\nb\n```py\ny = 2\n```\n```text\nnot code\n```\n';
  assert.equal(extractCode(text, 'python'), 'y = 2');
  assert.equal(extractCode('```js\nlet a;\n```\n```javascript\nlet b;\n```', 'javascript'), 'let b;');
  assert.equal(extractCode('```\nprint(3)\n```', 'python'), 'print(3)');
  assert.equal(extractCode('```text\nnot code\n```', 'python'), 'not code');
  assert.equal(extractCode('no code here', 'python'), null);
  assert.equal(normalizeOutput('1 2  \n3\t\n\n'), '1 2\n3');
});

test('python stdio and call tests: correct, incorrect, pass fraction', async () => {
  const sum = py('import sys\na, b = map(int, sys.stdin.read().split())\nprint(a + b)   ');
  const ok = await verifyCode(sum, {
    language: 'python',
    tests: [
      { kind: 'stdio', input: '1 2\n', output: '3\n' },
      { kind: 'stdio', input: '10 -4', output: '6' },
      { kind: 'stdio', input: '1 1', output: '3' },
    ],
  });
  assert.deepEqual(
    ok.results.map((r) => r.passed),
    [true, true, false],
  );
  assert.match(ok.results[2]!.reason, /wrong output/);
  assert.ok(Math.abs(ok.passFraction - 2 / 3) < 1e-12);

  const call = py(
    'def pairs(xs, n):\n    return {"n": n, "out": [(x, x * n) for x in xs]}\n\nif __name__ == "__main__":\n    raise SystemExit(3)',
  );
  const r = await verifyCode(call, {
    language: 'python',
    tests: [
      {
        kind: 'call',
        fn: 'pairs',
        args: [[1, 2], 3],
        expected: {
          out: [
            [1, 3],
            [2, 6],
          ],
          n: 3,
        },
      },
      { kind: 'call', fn: 'pairs', args: [[1], 2], expected: { out: [[1, 3]], n: 2 } },
      { kind: 'call', fn: 'missing', args: [], expected: null },
    ],
  });
  assert.deepEqual(
    r.results.map((x) => x.passed),
    [true, false, false],
  );
  assert.match(r.results[1]!.reason, /wrong return value/);
  assert.match(r.results[2]!.reason, /KeyError/);
  assert.ok(Math.abs(r.passFraction - 1 / 3) < 1e-12);

  const none = await verifyCode('I cannot solve this.', { language: 'python', tests: [{ kind: 'stdio', input: '', output: '' }] });
  assert.equal(none.passFraction, 0);
  assert.match(none.results[0]!.reason, /no fenced code block/);
});

test('javascript stdio and call tests: script, CommonJS and ESM-style solutions', async () => {
  const echo = js(
    "const s = require('fs').readFileSync(0, 'utf8');\nconsole.log(s.split(/\\s+/).filter(Boolean).map(Number).reduce((a, b) => a + b, 0));",
  );
  const s = await verifyCode(echo, {
    language: 'javascript',
    tests: [
      { kind: 'stdio', input: '1 2 3', output: '6' },
      { kind: 'stdio', input: '5', output: '4' },
    ],
  });
  assert.deepEqual(
    s.results.map((r) => r.passed),
    [true, false],
  );
  assert.equal(s.passFraction, 0.5);

  const tests = [
    {
      kind: 'call' as const,
      fn: 'twice',
      args: [[1, 'a']],
      expected: [
        [1, 'a'],
        [1, 'a'],
      ],
    },
    { kind: 'call' as const, fn: 'twice', args: [2], expected: [3, 3] },
  ];
  for (const src of [
    'function twice(x) { return [x, x]; }',
    'module.exports = { twice: (x) => [x, x] };',
    'export async function twice(x) { return [x, x]; }',
  ]) {
    const r = await verifyCode(js(src), { language: 'javascript', tests });
    assert.deepEqual(
      r.results.map((x) => x.passed),
      [true, false],
      `${src}: ${JSON.stringify(r.results)}`,
    );
  }
  const thrown = await verifyCode(js('function twice() { throw new Error("boom"); }'), {
    language: 'javascript',
    tests: tests.slice(0, 1),
  });
  assert.equal(thrown.results[0]!.passed, false);
  assert.match(thrown.results[0]!.reason, /marker missing.*boom/);
});

test('security: infinite loops time out', async () => {
  const t0 = Date.now();
  const p = await verifyCode(py('def f():\n    while True:\n        pass'), {
    language: 'python',
    timeoutMs: 1500,
    tests: [{ kind: 'call', fn: 'f', args: [], expected: null }],
  });
  const j = await verifyCode(js('for (;;) {}'), {
    language: 'javascript',
    timeoutMs: 1500,
    tests: [{ kind: 'stdio', input: '', output: '' }],
  });
  assertAllFailed([...p.results, ...j.results], /timed out|CPU limit/);
  assert.ok(Date.now() - t0 < 8000);
  assert.deepEqual(await sandboxProcesses(), []);
});

test('security: fork bombs are contained (process limit, then the whole tree is killed)', async () => {
  const bomb = py('import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass');
  const p = await verifyCode(bomb, { language: 'python', timeoutMs: 2000, tests: [{ kind: 'stdio', input: '', output: 'done' }] });
  const jbomb = js(
    "const cp = require('child_process');\nsetInterval(() => { try { cp.spawn(process.execPath, [__filename], { stdio: 'ignore' }).on('error', () => {}); } catch {} }, 0);",
  );
  const j = await verifyCode(jbomb, { language: 'javascript', timeoutMs: 2000, tests: [{ kind: 'stdio', input: '', output: 'done' }] });
  assertAllFailed([...p.results, ...j.results], /timed out|CPU limit|killed|EAGAIN/);
  // The process limit held: a direct probe counts how many forks succeed before EAGAIN.
  const probe = await runSandboxed({
    command: [
      '/usr/bin/python3',
      '-c',
      'import os, time\nn = 0\ntry:\n    while n < 10000:\n        if os.fork() == 0:\n            time.sleep(30)\n        n += 1\nexcept OSError as e:\n    print(n, e.errno)',
    ],
    timeoutMs: 4000,
  });
  const [forks, errno] = probe.stdout.trim().split(' ').map(Number);
  assert.ok(forks! < 64, `forked ${forks} times: ${probe.stdout} ${probe.stderr}`);
  assert.equal(errno, 11); // EAGAIN
  assert.deepEqual(await sandboxProcesses(), [], 'no sandbox process survives its run');
});

test('security: allocating 10 GB fails at the memory limit', async () => {
  const p = await verifyCode(py('def f():\n    b = bytearray(10 * 1024 ** 3)\n    return len(b)'), {
    language: 'python',
    tests: [{ kind: 'call', fn: 'f', args: [], expected: 10 * 1024 ** 3 }],
  });
  assertAllFailed(p.results, /MemoryError/);
  const j = await verifyCode(js('function f() { const a = []; for (;;) a.push(new Array(1e6).fill(1.5)); }'), {
    language: 'javascript',
    tests: [{ kind: 'call', fn: 'f', args: [], expected: 0 }],
  });
  assertAllFailed(j.results, /marker missing/);
  assertAllFailed(j.results, /heap out of memory/);
  const k = await verifyCode(js('function f() { return Buffer.alloc(3 * 1024 ** 3).length; }'), {
    language: 'javascript',
    tests: [{ kind: 'call', fn: 'f', args: [], expected: 3 * 1024 ** 3 }],
  });
  assertAllFailed(k.results, /allocation failed/i);
});

test('security: the repository, /root, /home and host /tmp cannot be read', async () => {
  const secret = `/tmp/posttrain-secret-${randomUUID()}`;
  const src = py(
    [
      'def read(path):',
      '    with open(path) as f:',
      '        return f.read()[:20]',
      'def ls(path):',
      '    import os',
      '    return sorted(os.listdir(path))',
    ].join('\n'),
  );
  const pkg = readFileSync('package.json', 'utf8').slice(0, 20);
  const r = await verifyCode(src, {
    language: 'python',
    tests: [
      { kind: 'call', fn: 'read', args: [`${process.cwd()}/package.json`], expected: pkg },
      { kind: 'call', fn: 'read', args: ['/etc/passwd'], expected: readFileSync('/etc/passwd', 'utf8').slice(0, 20) },
      { kind: 'call', fn: 'ls', args: ['/root'], expected: readdirSync('/root').sort() },
      { kind: 'call', fn: 'ls', args: ['/home'], expected: readdirSync('/home').sort() },
      { kind: 'call', fn: 'ls', args: ['/tmp'], expected: readdirSync('/tmp').sort() },
      { kind: 'call', fn: 'read', args: [secret], expected: '' },
    ],
  });
  assertAllFailed(r.results, /FileNotFoundError/);
  const j = await verifyCode(js("const fs = require('fs');\nfunction read(p) { return fs.readFileSync(p, 'utf8').slice(0, 20); }"), {
    language: 'javascript',
    tests: [{ kind: 'call', fn: 'read', args: [`${process.cwd()}/package.json`], expected: pkg }],
  });
  assertAllFailed(j.results, /ENOENT/);
});

test('security: writes outside the work dir fail and leave the host untouched', async () => {
  const id = randomUUID();
  const targets = [`/tmp/pwned-${id}`, `${process.cwd()}/pwned-${id}`, `/root/pwned-${id}`, `/pwned-${id}`, `/usr/pwned-${id}`];
  try {
    const src = py('def write(path):\n    with open(path, "w") as f:\n        f.write("x")\n    return True');
    const r = await verifyCode(src, {
      language: 'python',
      tests: targets.map((t) => ({ kind: 'call' as const, fn: 'write', args: [t], expected: true })),
    });
    assertAllFailed(r.results, /Error/);
    const j = await verifyCode(js("function write(p) { require('fs').writeFileSync(p, 'x'); return true; }"), {
      language: 'javascript',
      tests: targets.map((t) => ({ kind: 'call' as const, fn: 'write', args: [t], expected: true })),
    });
    assertAllFailed(j.results, /marker missing/);
    // Writing inside /work is allowed (and disappears with the run).
    const ok = await verifyCode(src, { language: 'python', tests: [{ kind: 'call', fn: 'write', args: ['scratch.txt'], expected: true }] });
    assert.equal(ok.passFraction, 1);
    for (const t of targets) assert.equal(existsSync(t), false, `${t} was created on the host`);
  } finally {
    for (const t of targets) rmSync(t, { force: true });
  }
});

test('security: no network, not even the host loopback', async () => {
  let connections = 0;
  const server = createServer((sock) => {
    connections++;
    sock.end('hello');
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as { port: number }).port;
  try {
    const src = py(
      'import socket\ndef hello(port):\n    s = socket.create_connection(("127.0.0.1", port), timeout=2)\n    return s.recv(5).decode()',
    );
    const r = await verifyCode(src, { language: 'python', tests: [{ kind: 'call', fn: 'hello', args: [port], expected: 'hello' }] });
    assertAllFailed(r.results, /ConnectionRefusedError/);
    const dns = await verifyCode(py('import socket\ndef f():\n    return socket.gethostbyname("example.com")'), {
      language: 'python',
      tests: [{ kind: 'call', fn: 'f', args: [], expected: '93.184.216.34' }],
    });
    assertAllFailed(dns.results, /gaierror|Error/);
    const j = await verifyCode(
      js(
        `const net = require('net');\nfunction hello(port) { return new Promise((res, rej) => { const s = net.connect(port, '127.0.0.1'); s.on('data', (d) => res(String(d))); s.on('error', rej); }); }`,
      ),
      {
        language: 'javascript',
        tests: [{ kind: 'call', fn: 'hello', args: [port], expected: 'hello' }],
      },
    );
    assertAllFailed(j.results, /ECONNREFUSED/);
    assert.equal(connections, 0);
  } finally {
    server.close();
  }
});

test('security: printing 1 GB is capped, truncated and killed', async () => {
  const t0 = Date.now();
  const run = await runSandboxed({
    command: ['/usr/bin/python3', '-c', 'import sys\nfor _ in range(16384):\n    sys.stdout.write("x" * 65536)'],
    maxOutputBytes: 1 << 20,
  });
  assert.equal(run.outputTruncated, true);
  assert.ok(run.stdout.length <= 1 << 20);
  assert.match(run.reason ?? '', /output exceeded/);
  const r = await verifyCode(js("const fs = require('fs');\nfor (;;) fs.writeSync(1, 'y'.repeat(1 << 16));"), {
    language: 'javascript',
    tests: [{ kind: 'stdio', input: '', output: 'y' }],
  });
  assertAllFailed(r.results, /output exceeded/);
  const e = await verifyCode(py('import sys\nwhile True:\n    sys.stderr.write("z" * 65536)'), {
    language: 'python',
    tests: [{ kind: 'stdio', input: '', output: '' }],
  });
  assertAllFailed(e.results, /output exceeded/);
  assert.ok(Date.now() - t0 < 10000);
});

test('security: signalling the parent or the host test process does nothing', async () => {
  const src = py(
    'import os, signal\ndef f(host_pid):\n    os.kill(os.getppid(), signal.SIGKILL)\n    os.kill(host_pid, signal.SIGKILL)\n    return "killed"',
  );
  const r = await verifyCode(src, { language: 'python', tests: [{ kind: 'call', fn: 'f', args: [process.pid], expected: 'killed' }] });
  assertAllFailed(r.results, /ProcessLookupError/);
  const j = await verifyCode(
    js('function f(pid) { process.kill(pid, "SIGKILL"); process.kill(process.ppid, "SIGKILL"); return "killed"; }'),
    {
      language: 'javascript',
      tests: [{ kind: 'call', fn: 'f', args: [process.pid], expected: 'killed' }],
    },
  );
  assertAllFailed(j.results, /ESRCH/);
  assert.equal(process.kill(process.pid, 0), true); // still alive
});

test('security: exiting early or printing a fake success does not pass a call test', async () => {
  const tests = [{ kind: 'call' as const, fn: 'add', args: [2, 3], expected: 5 }];
  const cases: [string, string][] = [
    ['python', 'import os\nprint("ok")\nos._exit(0)\ndef add(a, b):\n    return a + b'],
    ['python', 'import sys\ndef add(a, b):\n    print("ok\\n5\\nTrue")\n    sys.exit(0)'],
    ['python', 'import os, atexit\ndef add(a, b):\n    print("5")\n    os._exit(0)'],
    ['javascript', 'function add(a, b) { console.log("ok"); process.exit(0); }'],
    ['javascript', 'console.log(5); process.exit(0);\nfunction add(a, b) { return a + b; }'],
  ];
  for (const [language, src] of cases) {
    const r = await verifyCode((language === 'python' ? py : js)(src), { language: language as 'python' | 'javascript', tests });
    assert.equal(r.passFraction, 0, src);
    assertAllFailed(r.results, /marker missing/);
  }
  // The same function without the tricks passes.
  assert.equal((await verifyCode(py('def add(a, b):\n    return a + b'), { language: 'python', tests })).passFraction, 1);
  assert.deepEqual(await sandboxProcesses(), []);
});
