// Run an untrusted command (model-written code) in a bubblewrap sandbox and collect its output.
//
// Contract: `runSandboxed` never throws for anything the command does; every outcome (exit code,
// signal, timeout, output cap) comes back in the result. Containment, layer by layer:
//   - a fresh unprivileged uid per run (setpriv): no host privileges, and RLIMIT_NPROC counts only
//     this run's processes (the kernel never enforces NPROC for uid 0, hence the uid switch);
//   - prlimit: RLIMIT_CPU, RLIMIT_AS (memory), RLIMIT_NPROC (fork bombs), RLIMIT_FSIZE;
//   - bwrap --unshare-all: fresh user/pid/net/ipc/uts/cgroup namespaces, so no network (only a
//     private loopback), no view of or signals to host processes; --die-with-parent and the pid
//     namespace mean killing bwrap kills every process the command started;
//   - filesystem: an empty tmpfs root (remounted read-only) with /usr (and node's install dir)
//     read-only, /proc and a minimal /dev, and one fresh host temp dir bound read-write at /work
//     holding `files`. /root, /home, /tmp and the repository are absent.
//   - host side: a wall-clock timeout and an output cap both kill the whole process group.
// It does not know about languages or tests (see code.ts); it needs Linux with bwrap, prlimit and
// setpriv (util-linux); run as root for per-run uids (without root it runs as the current user).
import { spawn } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdtempSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { randomInt } from 'node:crypto';

export interface SandboxOptions {
  /** argv run inside the sandbox, cwd /work; resolved with PATH=/usr/bin:/bin. */
  command: string[];
  stdin?: string;
  /** Relative paths (under /work) → contents. */
  files?: Record<string, string>;
  /** Wall-clock limit; the whole process tree is killed when it passes. */
  timeoutMs?: number;
  /** RLIMIT_CPU per process. */
  cpuSeconds?: number;
  /** RLIMIT_AS per process (virtual memory). Node needs ~1 GiB of address space just to start. */
  memoryBytes?: number;
  /** Cap on stdout + stderr together; the run is killed when it is exceeded. */
  maxOutputBytes?: number;
  /** RLIMIT_NPROC (processes and threads of this run's uid). */
  maxProcesses?: number;
  /** RLIMIT_FSIZE: largest file the command may write. */
  maxFileBytes?: number;
  /** Extra environment variables (the environment is otherwise cleared). */
  env?: Record<string, string>;
}

export interface SandboxResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  outputTruncated: boolean;
  /** Why the run did not end normally (timeout, output cap, limit signal, non-zero exit, spawn error). */
  reason?: string;
}

/** First uid of the range runs are given; each run gets a random uid in [SANDBOX_UID_BASE, +SANDBOX_UID_SPAN). */
export const SANDBOX_UID_BASE = 1_500_000;
export const SANDBOX_UID_SPAN = 500_000;

const MiB = 1024 * 1024;

const SIGNAL_NAMES: Record<number, string> = { 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 15: 'SIGTERM', 24: 'SIGXCPU', 25: 'SIGXFSZ' };

/** bwrap arguments for a top-level system path: bind a directory, recreate a symlink, skip if absent. */
function systemPath(path: string): string[] {
  if (!existsSync(path)) return [];
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return ['--symlink', readlinkSync(path), path];
  return ['--ro-bind', path, path];
}

/** Read-only binds for the runtime's install dir when it is outside /usr (e.g. ~/.nvm/...). */
function nodeInstallDir(): string[] {
  const dir = dirname(dirname(realpathSync(process.execPath)));
  if (dir === '/usr' || dir.startsWith('/usr/')) return [];
  return ['--ro-bind', dir, dir];
}

/** The bwrap argv (without the command) for a run whose writable dir is `workDir`. */
export function bwrapArgs(workDir: string): string[] {
  return [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    ...systemPath('/usr'),
    ...systemPath('/lib'),
    ...systemPath('/lib64'),
    ...systemPath('/bin'),
    ...systemPath('/sbin'),
    ...(existsSync('/etc/ld.so.cache') ? ['--ro-bind', '/etc/ld.so.cache', '/etc/ld.so.cache'] : []),
    ...nodeInstallDir(),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--bind',
    workDir,
    '/work',
    '--remount-ro',
    '/',
    '--chdir',
    '/work',
  ];
}

export async function runSandboxed(opts: SandboxOptions): Promise<SandboxResult> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const cpuSeconds = opts.cpuSeconds ?? 5;
  const memoryBytes = opts.memoryBytes ?? 512 * MiB;
  const maxOutputBytes = opts.maxOutputBytes ?? MiB;
  const maxProcesses = opts.maxProcesses ?? 64;
  const maxFileBytes = opts.maxFileBytes ?? 16 * MiB;
  if (opts.command.length === 0) throw new Error('runSandboxed: command is empty');

  // As root, each run gets its own uid; otherwise it runs as the current user (weaker: RLIMIT_NPROC
  // then counts every process of that user).
  const asRoot = process.getuid?.() === 0;
  const uid = SANDBOX_UID_BASE + randomInt(SANDBOX_UID_SPAN);
  const own = (path: string) => {
    if (asRoot) chownSync(path, uid, uid);
  };
  const workDir = mkdtempSync(join(tmpdir(), 'posttrain-sandbox-'));
  try {
    own(workDir);
    for (const [name, content] of Object.entries(opts.files ?? {})) {
      const rel = posix.normalize(name);
      if (rel.startsWith('/') || rel.startsWith('..') || rel.includes('/')) {
        throw new Error(`runSandboxed: file name must be a plain name inside /work, got ${JSON.stringify(name)}`);
      }
      const path = join(workDir, rel);
      writeFileSync(path, content);
      own(path);
    }
    const argv = [
      `--cpu=${cpuSeconds}`,
      `--as=${memoryBytes}`,
      `--nproc=${maxProcesses}`,
      `--fsize=${maxFileBytes}`,
      `--core=0`,
      '--',
      ...(asRoot ? ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--'] : []),
      'bwrap',
      ...bwrapArgs(workDir),
      '--',
      ...opts.command,
    ];
    const env = { PATH: '/usr/bin:/bin', HOME: '/work', TMPDIR: '/work', LANG: 'C.UTF-8', ...(opts.env ?? {}) };
    return await new Promise<SandboxResult>((resolve) => {
      const child = spawn('prlimit', argv, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let total = 0;
      let timedOut = false;
      let outputTruncated = false;
      let spawnError: string | undefined;
      const killGroup = () => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, timeoutMs);
      const collect = (sink: Buffer[]) => (chunk: Buffer) => {
        if (outputTruncated) return;
        const room = maxOutputBytes - total;
        if (chunk.length > room) {
          sink.push(chunk.subarray(0, Math.max(0, room)));
          total = maxOutputBytes;
          outputTruncated = true;
          killGroup();
          return;
        }
        sink.push(chunk);
        total += chunk.length;
      };
      child.stdout.on('data', collect(out));
      child.stderr.on('data', collect(err));
      child.stdin.on('error', () => {
        /* the command may exit without reading stdin */
      });
      child.stdin.end(opts.stdin ?? '');
      child.on('error', (e) => {
        spawnError = e.message;
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        killGroup(); // anything left in the group (there should be nothing)
        const result: SandboxResult = {
          exitCode: code,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          timedOut,
          outputTruncated,
        };
        // bwrap reports a command killed by signal N as exit code 128 + N.
        const sigName = signal ?? (code !== null && code > 128 ? (SIGNAL_NAMES[code - 128] ?? `signal ${code - 128}`) : undefined);
        if (spawnError) result.reason = `failed to start sandbox: ${spawnError}`;
        else if (timedOut) result.reason = `timed out after ${timeoutMs} ms`;
        else if (outputTruncated) result.reason = `output exceeded ${maxOutputBytes} bytes`;
        else if (sigName === 'SIGXCPU') result.reason = `CPU limit of ${cpuSeconds} s exceeded`;
        else if (sigName === 'SIGXFSZ') result.reason = `file size limit of ${maxFileBytes} bytes exceeded`;
        else if (sigName) result.reason = `killed by ${sigName}`;
        else if (code !== 0) result.reason = `exit code ${code}`;
        resolve(result);
      });
    });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
