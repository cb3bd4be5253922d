// Sandbox totals: what a run can take all together, not only per process. Writing to /dev/shm,
// /dev, /tmp and /work stops at the tmpfs size (or fails outright), a run's processes together
// are killed at the total memory cap with a reason naming it, and bad settings are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSandboxed, setSandboxCgroup, SANDBOX_CGROUP_ENV } from '../../src/rewards/sandbox.js';
import { liveSandboxProcesses } from '../helpers/sandbox_procs.js';

const MiB = 1024 * 1024;

/** Writes 8 MiB files into a folder (os.write, each under RLIMIT_FSIZE) until an error or `limitMiB`; prints "<bytes written> <errno name>". */
const FILL = [
  'import errno, os, sys',
  'folder, limit = sys.argv[1], int(sys.argv[2]) * 1024 * 1024',
  "chunk, total, err = b'\\0' * (1 << 20), 0, 'none'",
  'try:',
  '    i = 0',
  '    while total < limit:',
  "        fd = os.open(os.path.join(folder, 'f%d' % i), os.O_WRONLY | os.O_CREAT, 0o644)",
  '        i += 1',
  '        for _ in range(8):',
  '            total += os.write(fd, chunk)',
  '        os.close(fd)',
  'except OSError as e:',
  '    err = errno.errorcode.get(e.errno, str(e.errno))',
  'print(total, err)',
].join('\n');

async function fill(folder: string, limitMiB: number, tmpfsBytes?: number): Promise<{ written: number; error: string; reason?: string }> {
  const run = await runSandboxed({ command: ['/usr/bin/python3', '-c', FILL, folder, String(limitMiB)], timeoutMs: 30_000, tmpfsBytes });
  const [written, error] = run.stdout.trim().split(' ');
  assert.ok(written !== undefined && error !== undefined, `no report from the writer: ${JSON.stringify(run)}`);
  return { written: Number(written), error, reason: run.reason };
}

async function noSandboxProcessLeft(): Promise<void> {
  let pids = liveSandboxProcesses();
  for (let i = 0; i < 30 && pids.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    pids = liveSandboxProcesses();
  }
  assert.deepEqual(pids, [], 'no sandbox process survives its run');
}

test('totals: /dev/shm is a tmpfs of tmpfsBytes, not a RAM disk without a limit', async () => {
  const r = await fill('/dev/shm', 100, 16 * MiB);
  assert.equal(r.error, 'ENOSPC', JSON.stringify(r));
  assert.ok(r.written <= 16 * MiB, `wrote ${r.written} bytes to /dev/shm past its 16 MiB`);
  assert.ok(r.written >= 8 * MiB, `/dev/shm still usable: wrote ${r.written} bytes`);
});

test('totals: /dev itself is read-only (its device nodes still work)', async () => {
  const r = await fill('/dev', 100);
  assert.deepEqual({ written: r.written, error: r.error }, { written: 0, error: 'EROFS' });
  const devices = await runSandboxed({ command: ['/bin/sh', '-c', 'echo hidden > /dev/null && head -c 4 /dev/zero | wc -c'] });
  assert.equal(devices.reason, undefined, JSON.stringify(devices));
  assert.equal(devices.stdout.trim(), '4');
});

test('totals: /tmp does not exist and cannot be created', async () => {
  // This one held before the totals work too (the root is a read-only tmpfs): kept as a guard.
  const r = await fill('/tmp', 100);
  assert.deepEqual({ written: r.written, error: r.error }, { written: 0, error: 'ENOENT' });
  const mk = await runSandboxed({ command: ['/bin/mkdir', '/tmp'] });
  assert.match(mk.stderr, /Read-only file system/);
});

test('totals: /work holds at most tmpfsBytes (default 64 MiB), and the files given are there', async () => {
  const r = await fill('/work', 200);
  assert.equal(r.error, 'ENOSPC', JSON.stringify(r));
  assert.ok(r.written <= 64 * MiB && r.written >= 56 * MiB, `wrote ${r.written} bytes to the default 64 MiB /work`);
  const small = await fill('/work', 100, 8 * MiB);
  assert.equal(small.error, 'ENOSPC');
  assert.ok(small.written <= 8 * MiB, `wrote ${small.written} bytes to an 8 MiB /work`);
  const given = await runSandboxed({
    command: ['/bin/sh', '-c', 'cat a.txt b.txt && echo more >> a.txt && wc -c < a.txt && stat -c %a a.txt'],
    files: { 'a.txt': 'héllo\n', 'b.txt': 'x'.repeat(100_000).slice(0, 3) + '\n' },
    tmpfsBytes: 4 * MiB,
  });
  assert.equal(given.reason, undefined, JSON.stringify(given));
  assert.equal(given.stdout, 'héllo\nxxx\n12\n644\n');
});

test('totals: 6 children x 400 MiB together pass the 512 MiB total and the run is killed, naming the cap', async () => {
  const prog = [
    'import os, time',
    'pids = []',
    'for i in range(6):',
    '    pid = os.fork()',
    '    if pid == 0:',
    "        b = b'x' * (400 * 1024 * 1024)",
    '        time.sleep(5)',
    '        os._exit(0)',
    '    pids.append(pid)',
    'for p in pids:',
    '    os.waitpid(p, 0)',
    "print('all six held 400 MiB')",
  ].join('\n');
  const run = await runSandboxed({ command: ['/usr/bin/python3', '-c', prog], timeoutMs: 30_000 });
  assert.doesNotMatch(run.stdout, /all six/);
  assert.match(run.reason ?? '', /^total memory limit of 512 MiB exceeded \(.*all processes of the run together.*\); killed$/);
  assert.equal(run.timedOut, false);
  await noSandboxProcessLeft();
});

test('totals: the cap counts pages shared after fork once, and a smaller cap applies', async () => {
  // 200 MiB in the parent, shared copy-on-write by 5 sleeping children: 1.2 GB of RSS summed, 200 MiB real.
  const shared = [
    'import os, time',
    "b = b'x' * (200 * 1024 * 1024)",
    'pids = []',
    'for i in range(5):',
    '    pid = os.fork()',
    '    if pid == 0:',
    '        time.sleep(1)',
    '        os._exit(0)',
    '    pids.append(pid)',
    'for p in pids:',
    '    os.waitpid(p, 0)',
    "print('shared fine')",
  ].join('\n');
  const ok = await runSandboxed({ command: ['/usr/bin/python3', '-c', shared], timeoutMs: 30_000 });
  assert.equal(ok.reason, undefined, JSON.stringify(ok));
  assert.equal(ok.stdout.trim(), 'shared fine');
  const small = await runSandboxed({ command: ['/usr/bin/python3', '-c', shared], timeoutMs: 30_000, totalMemoryBytes: 128 * MiB });
  assert.match(small.reason ?? '', /^total memory limit of 128 MiB exceeded/);
  await noSandboxProcessLeft();
});

test('totals: bad limits and a cgroup that is not one are refused with the setting named', async () => {
  await assert.rejects(runSandboxed({ command: ['/bin/true'], tmpfsBytes: 0 }), {
    message: 'runSandboxed: tmpfsBytes must be a positive integer, got 0',
  });
  await assert.rejects(runSandboxed({ command: ['/bin/true'], totalMemoryBytes: 1.5 }), {
    message: 'runSandboxed: totalMemoryBytes must be a positive integer, got 1.5',
  });
  await assert.rejects(runSandboxed({ command: ['/bin/true'], files: { 'a.txt': 'x'.repeat(5000) }, tmpfsBytes: 4096 }), {
    message: 'runSandboxed: files take 5000 bytes, more than the /work tmpfs of 4096 bytes (tmpfsBytes)',
  });
  await assert.rejects(
    runSandboxed({ command: ['/bin/true'], files: { '.': 'x' } }),
    /file name must be a plain name inside \/work, got "\."/,
  );
  setSandboxCgroup('/nonexistent/posttrain');
  try {
    await assert.rejects(runSandboxed({ command: ['/bin/true'] }), {
      message: 'setSandboxCgroup("/nonexistent/posttrain"): not a cgroup v2 directory (no /nonexistent/posttrain/cgroup.controllers)',
    });
  } finally {
    setSandboxCgroup(undefined);
  }
});

test(
  'totals: with a cgroup v2 configured, its memory.max kills the run',
  { skip: !process.env[SANDBOX_CGROUP_ENV] && `${SANDBOX_CGROUP_ENV} not set` },
  async () => {
    const prog =
      "import os\nfor i in range(5):\n    if os.fork() == 0:\n        break\nb = b'x' * (300 * 1024 * 1024)\nimport time; time.sleep(3)\nprint('held')";
    const run = await runSandboxed({ command: ['/usr/bin/python3', '-c', prog], timeoutMs: 30_000 });
    assert.doesNotMatch(run.stdout, /held/);
    assert.match(run.reason ?? '', /^total memory limit of 512 MiB exceeded \(cgroup memory\.max/);
    const fine = await runSandboxed({ command: ['/bin/sh', '-c', 'echo ok'] });
    assert.equal(fine.stdout, 'ok\n');
  },
);

test(
  'totals: SysV shared memory left detached is capped at tmpfsBytes in total (as root)',
  { skip: process.getuid?.() !== 0 && 'needs root' },
  async () => {
    // Each 8 MiB segment is created, filled and detached: it holds RAM that no process maps.
    const prog = [
      'import ctypes',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'libc.shmat.restype = ctypes.c_void_p',
      'libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]',
      'libc.shmdt.argtypes = [ctypes.c_void_p]',
      'size, held, err = 8 * 1024 * 1024, 0, 0',
      'for i in range(25):',
      '    sid = libc.shmget(0, size, 0o1600)',
      '    if sid < 0:',
      '        err = ctypes.get_errno()',
      '        break',
      '    addr = libc.shmat(sid, None, 0)',
      '    ctypes.memset(addr, 1, size)',
      '    libc.shmdt(addr)',
      '    held += size',
      'print(held, err)',
    ].join('\n');
    const run = await runSandboxed({ command: ['/usr/bin/python3', '-c', prog], tmpfsBytes: 32 * MiB });
    const [held, err] = run.stdout.trim().split(' ').map(Number);
    assert.ok(held! <= 32 * MiB, `held ${held} bytes of SysV shm past 32 MiB: ${JSON.stringify(run)}`);
    assert.ok(err! > 0, `shmget never failed: ${JSON.stringify(run)}`);
  },
);
