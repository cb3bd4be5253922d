// Run an untrusted command (model-written code) in a bubblewrap sandbox and collect its output.
//
// Contract: `runSandboxed` never throws for anything the command does; every outcome (exit code,
// signal, timeout, output cap, memory cap, failed start) comes back in the result with a `reason`.
// It throws only for bad options (empty command, bad file name, a limit that is not a positive
// integer, files larger than the work dir) and a misconfigured concurrency or cgroup setting.
// Containment, layer by layer:
//   - a fresh unprivileged uid per run (setpriv): no host privileges, and RLIMIT_NPROC counts only
//     this run's processes, so it caps the run's processes in total (the kernel never enforces
//     NPROC for uid 0, hence the uid switch);
//   - prlimit per process: RLIMIT_CPU, RLIMIT_AS (memory), RLIMIT_NPROC (fork bombs), RLIMIT_FSIZE;
//   - a total memory cap over all of the run's processes together (sandbox_memory.ts): a cgroup v2
//     child per run when one is configured (POSTTRAIN_SANDBOX_CGROUP), else a /proc watcher that
//     kills the run when their summed memory passes `totalMemoryBytes`;
//   - bwrap --unshare-all: fresh user/pid/net/ipc/uts/cgroup namespaces, so no network (only a
//     private loopback), no view of or signals to host processes; --die-with-parent and the pid
//     namespace mean killing bwrap kills every process the command started. As root the IPC
//     namespace is made first (unshare --ipc) with SysV shm capped at `tmpfsBytes` in total and
//     16 small message queues, since detached segments hold RAM no process shows (ipcPrefix);
//   - filesystem: an empty tmpfs root (remounted read-only) with /usr (and node's install dir)
//     read-only, /proc, and a minimal /dev remounted read-only (its device nodes still work) with a
//     size-capped tmpfs at /dev/shm; the work dir /work is a size-capped tmpfs (`tmpfsBytes` each)
//     into which bwrap copies `files` (through pipes) before the command starts. Nothing of the run
//     touches the host disk, and /root, /home, /tmp and the repository are absent (/tmp cannot be
//     created: the root is read-only; TMPDIR points at /work).
//   - host side: a wall-clock timeout and an output cap both kill the whole process group;
//   - at most `sandboxConcurrency()` runs at once in this process (sandbox_slots.ts), shared by all
//     callers, so a GRPO round graded with Promise.all queues instead of multiplying the caps; the
//     timeout counts from the run's start, not from its place in the queue.
// Per run, RAM is thus bounded by totalMemoryBytes plus the two tmpfs mounts (which the cgroup
// charges to totalMemoryBytes too), times the concurrency limit for the process.
// It does not know about languages or tests (see code.ts); it needs Linux with bwrap (>= 0.7 for
// --size), prlimit, setpriv and unshare (util-linux); run as root for per-run uids (without root it runs as
// the current user, and RLIMIT_NPROC then counts every process of that user).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, posix } from 'node:path';
import { randomInt } from 'node:crypto';
import { acquireSandboxSlot } from './sandbox_slots.js';
import { openMemoryCap, sandboxMemoryMechanism, type MemoryCapRun } from './sandbox_memory.js';

export { SANDBOX_CONCURRENCY_ENV, sandboxConcurrency, sandboxSlots, setSandboxConcurrency } from './sandbox_slots.js';
export { SANDBOX_CGROUP_ENV, sandboxMemoryMechanism, setSandboxCgroup } from './sandbox_memory.js';

export interface SandboxOptions {
  /** argv run inside the sandbox, cwd /work; resolved with PATH=/usr/bin:/bin. */
  command: string[];
  stdin?: string;
  /** Plain file names (written into /work before the command starts) → contents. */
  files?: Record<string, string>;
  /** Wall-clock limit, counted from the start (not from the queue); the whole process tree is killed when it passes. */
  timeoutMs?: number;
  /** RLIMIT_CPU per process. */
  cpuSeconds?: number;
  /** RLIMIT_AS per process (virtual memory). Node needs ~1 GiB of address space just to start. */
  memoryBytes?: number;
  /**
   * Resident memory of all the run's processes together (default 512 MiB); past it the run is
   * killed with a reason naming this cap. Enforced by a cgroup (memory.max) when
   * POSTTRAIN_SANDBOX_CGROUP is set, else by sampling /proc every 50 ms (see sandbox_memory.ts).
   */
  totalMemoryBytes?: number;
  /** Size of each tmpfs the command can write: /work and /dev/shm (default 64 MiB each). `files` must fit in /work. */
  tmpfsBytes?: number;
  /** Cap on stdout + stderr together; the run is killed when it is exceeded. */
  maxOutputBytes?: number;
  /** RLIMIT_NPROC (processes and threads of this run's uid: the run's total when running as root); also pids.max of the run's cgroup. */
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
  /** Why the run did not end normally (timeout, output cap, memory cap, limit signal, non-zero exit, failed start). */
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

/**
 * The bwrap argv (without the command): /work and /dev/shm are tmpfs mounts of `tmpfsBytes` each,
 * and each of `files` is copied from file descriptor `fd` to /work/`name` before the command runs.
 * `unshareIpc: false` keeps the caller's IPC namespace (one made with capped SysV limits, see ipcPrefix).
 */
export function bwrapArgs(tmpfsBytes: number, files: { name: string; fd: number }[] = [], unshareIpc = true): string[] {
  return [
    // --unshare-all, spelled out so that the IPC namespace can be the one ipcPrefix made.
    '--unshare-user-try',
    ...(unshareIpc ? ['--unshare-ipc'] : []),
    '--unshare-pid',
    '--unshare-net',
    '--unshare-uts',
    '--unshare-cgroup-try',
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
    '--size',
    String(tmpfsBytes),
    '--tmpfs',
    '/dev/shm',
    '--remount-ro',
    '/dev',
    '--size',
    String(tmpfsBytes),
    '--tmpfs',
    '/work',
    ...files.flatMap((f) => ['--perms', '0644', '--file', String(f.fd), `/work/${f.name}`]),
    '--remount-ro',
    '/',
    '--chdir',
    '/work',
  ];
}

let ipcLimitsWork: boolean | undefined;
const IPC_SCRIPT =
  'echo $(( $1 / $(getconf PAGESIZE) )) > /proc/sys/kernel/shmall && echo $1 > /proc/sys/kernel/shmmax && ' +
  'echo 16 > /proc/sys/kernel/msgmni && shift && exec "$@"';
/**
 * SysV shared memory and message queues live outside every mount and process: a segment left
 * detached holds RAM that no /proc sample sees. As root, each run gets its own IPC namespace
 * (unshare --ipc) whose limits are set before privileges are dropped: all shm segments together at
 * most `tmpfsBytes` (kernel.shmall, in pages; shmmax), at most 16 message queues of 16 KiB each.
 * Null when that is not possible here (not root, or /proc/sys read-only; checked once); bwrap then
 * makes an IPC namespace with the kernel's default limits, which only a cgroup bounds.
 */
function ipcPrefix(tmpfsBytes: number): string[] | null {
  if (process.getuid?.() !== 0) return null;
  if (ipcLimitsWork === undefined) {
    const probe = spawnSync('unshare', ['--ipc', '--', '/bin/sh', '-c', IPC_SCRIPT, 'sh', '4096', '/bin/true'], { stdio: 'ignore' });
    ipcLimitsWork = probe.status === 0;
  }
  return ipcLimitsWork ? ['unshare', '--ipc', '--', '/bin/sh', '-c', IPC_SCRIPT, 'sh', String(tmpfsBytes)] : null;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`runSandboxed: ${name} must be a positive integer, got ${value}`);
  return value;
}

/** The `files` option checked: plain names inside /work, together no larger than the tmpfs. */
function checkFiles(files: Record<string, string>, tmpfsBytes: number): { name: string; content: Buffer }[] {
  const out: { name: string; content: Buffer }[] = [];
  let total = 0;
  for (const [name, content] of Object.entries(files)) {
    const rel = posix.normalize(name);
    if (rel === '.' || rel === '' || rel.startsWith('/') || rel.startsWith('..') || rel.includes('/')) {
      throw new Error(`runSandboxed: file name must be a plain name inside /work, got ${JSON.stringify(name)}`);
    }
    const bytes = Buffer.from(content, 'utf8');
    total += bytes.length;
    out.push({ name: rel, content: bytes });
  }
  if (total > tmpfsBytes)
    throw new Error(`runSandboxed: files take ${total} bytes, more than the /work tmpfs of ${tmpfsBytes} bytes (tmpfsBytes)`);
  return out;
}

export async function runSandboxed(opts: SandboxOptions): Promise<SandboxResult> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const cpuSeconds = opts.cpuSeconds ?? 5;
  const memoryBytes = opts.memoryBytes ?? 512 * MiB;
  const totalMemoryBytes = positiveInteger('totalMemoryBytes', opts.totalMemoryBytes ?? 512 * MiB);
  const tmpfsBytes = positiveInteger('tmpfsBytes', opts.tmpfsBytes ?? 64 * MiB);
  const maxOutputBytes = opts.maxOutputBytes ?? MiB;
  const maxProcesses = opts.maxProcesses ?? 64;
  const maxFileBytes = opts.maxFileBytes ?? 16 * MiB;
  if (opts.command.length === 0) throw new Error('runSandboxed: command is empty');
  const files = checkFiles(opts.files ?? {}, tmpfsBytes);
  sandboxMemoryMechanism(); // a misconfigured cgroup throws here; a run that cannot get one reports it

  const release = await acquireSandboxSlot();
  try {
    let cap: MemoryCapRun;
    try {
      cap = openMemoryCap({ totalMemoryBytes, maxProcesses });
    } catch (e) {
      const reason = `failed to start sandbox: ${(e as Error).message}`;
      return { exitCode: null, signal: null, stdout: '', stderr: '', timedOut: false, outputTruncated: false, reason };
    }
    return await run(opts, files, cap, { timeoutMs, cpuSeconds, memoryBytes, tmpfsBytes, maxOutputBytes, maxProcesses, maxFileBytes });
  } finally {
    release();
  }
}

interface Limits {
  timeoutMs: number;
  cpuSeconds: number;
  memoryBytes: number;
  tmpfsBytes: number;
  maxOutputBytes: number;
  maxProcesses: number;
  maxFileBytes: number;
}

async function run(
  opts: SandboxOptions,
  files: { name: string; content: Buffer }[],
  cap: MemoryCapRun,
  limits: Limits,
): Promise<SandboxResult> {
  const { timeoutMs, cpuSeconds, maxOutputBytes, maxFileBytes } = limits;
  // As root, each run gets its own uid; otherwise it runs as the current user (weaker: RLIMIT_NPROC
  // then counts every process of that user).
  const asRoot = process.getuid?.() === 0;
  const uid = SANDBOX_UID_BASE + randomInt(SANDBOX_UID_SPAN);
  const ipc = ipcPrefix(limits.tmpfsBytes);
  const argv = [
    ...cap.prefix,
    ...(ipc ?? []),
    'prlimit',
    `--cpu=${cpuSeconds}`,
    `--as=${limits.memoryBytes}`,
    `--nproc=${limits.maxProcesses}`,
    `--fsize=${maxFileBytes}`,
    `--core=0`,
    '--',
    ...(asRoot ? ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--'] : []),
    'bwrap',
    ...bwrapArgs(
      limits.tmpfsBytes,
      files.map((f, i) => ({ name: f.name, fd: 3 + i })),
      ipc === null,
    ),
    '--',
    ...opts.command,
  ];
  const env = { PATH: '/usr/bin:/bin', HOME: '/work', TMPDIR: '/work', LANG: 'C.UTF-8', ...(opts.env ?? {}) };
  let result: SandboxResult;
  try {
    result = await collectRun(argv, env, opts.stdin ?? '', files, cap, limits);
  } catch (e) {
    await cap.finish(); // spawn refused the arguments (a bad option): no cgroup or watch left behind
    throw e;
  }
  // The memory cap's verdict comes after the close (the cgroup is read and removed then).
  const capReason = await cap.finish();
  if (result.reason !== undefined) return result;
  // bwrap reports a command killed by signal N as exit code 128 + N.
  const code = result.exitCode;
  const sigName = result.signal ?? (code !== null && code > 128 ? (SIGNAL_NAMES[code - 128] ?? `signal ${code - 128}`) : undefined);
  if (capReason !== undefined) result.reason = capReason;
  else if (result.timedOut) result.reason = `timed out after ${timeoutMs} ms`;
  else if (result.outputTruncated) result.reason = `output exceeded ${maxOutputBytes} bytes`;
  else if (sigName === 'SIGXCPU') result.reason = `CPU limit of ${cpuSeconds} s exceeded`;
  else if (sigName === 'SIGXFSZ') result.reason = `file size limit of ${maxFileBytes} bytes exceeded`;
  else if (sigName) result.reason = `killed by ${sigName}`;
  else if (code !== 0) result.reason = `exit code ${code}`;
  return result;
}

/** Spawns the sandbox, feeds stdin and the files, collects output under the caps; `reason` is set only for a failed start. */
function collectRun(
  argv: string[],
  env: Record<string, string>,
  stdin: string,
  files: { name: string; content: Buffer }[],
  cap: MemoryCapRun,
  limits: Limits,
): Promise<SandboxResult> {
  const { timeoutMs, maxOutputBytes } = limits;
  return new Promise<SandboxResult>((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe', ...files.map(() => 'pipe' as const)],
      detached: true,
      env,
    });
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
    child.stdout!.on('data', collect(out));
    child.stderr!.on('data', collect(err));
    child.stdin!.on('error', () => {
      /* the command may exit without reading stdin */
    });
    child.stdin!.end(stdin);
    files.forEach((f, i) => {
      const pipe = child.stdio[3 + i] as NodeJS.WritableStream | null;
      if (!pipe) return;
      pipe.on('error', () => {
        /* bwrap failed before reading it: its own error comes back on stderr */
      });
      pipe.end(f.content);
    });
    child.on('error', (e) => {
      spawnError = e.message;
    });
    if (child.pid !== undefined) cap.watch(child.pid, killGroup);
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
      if (spawnError) result.reason = `failed to start sandbox: ${spawnError}`;
      resolve(result);
    });
  });
}
