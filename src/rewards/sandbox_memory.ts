// The total memory cap of one sandboxed run: every process the command starts, together (the
// per-process RLIMIT_AS alone let 6 children × 400 MiB through a 512 MiB limit).
//
// Contract: `openMemoryCap` prepares the cap for one run; the caller puts `prefix` in front of its
// argv, calls `watch(pid, kill)` once the process is spawned, and `finish()` after it has ended,
// which cleans up and answers the reason when the cap ended the run. The mechanism is chosen per
// call by `sandboxMemoryMechanism()`:
//   - 'cgroup' (cgroup v2, when POSTTRAIN_SANDBOX_CGROUP or setSandboxCgroup names a cgroup v2
//     directory this process may create children in, with the memory and pids controllers
//     available): each run gets a child cgroup with memory.max = the cap, memory.swap.max = 0,
//     memory.oom.group = 1 (an OOM kill takes the whole run) and pids.max = the process cap. The
//     command enters it before it starts: a /bin/sh prefix writes its own pid to cgroup.procs and
//     execs the rest. memory.events' oom_kill gives the reason; afterwards cgroup.kill and rmdir.
//     The kernel charges everything the run uses: anonymous memory, tmpfs and shm pages, memfds.
//     Setup, as root, where /sys/fs/cgroup/cgroup.subtree_control lists memory and pids:
//     mkdir /sys/fs/cgroup/posttrain and POSTTRAIN_SANDBOX_CGROUP=/sys/fs/cgroup/posttrain (the
//     directory must hold no process itself; the memory and pids controllers are enabled for its
//     children on first use).
//   - 'watcher' otherwise (e.g. a container with cgroup v1, or without a writable cgroup v2
//     memory controller): every 50 ms it walks the run's processes in /proc (descendants of the
//     spawned process, through task/*/children, else one scan of all processes; the sandbox's pid
//     namespace keeps orphans inside that tree) and sums their proportional anonymous and shared
//     memory (smaps_rollup Pss_Anon + Pss_Shmem, so pages shared copy-on-write after fork count
//     once) plus the size of memfds they hold open; past the cap the run is killed. Weaker than a
//     cgroup: a program can overshoot by what it allocates within one interval (each process is
//     still bounded by RLIMIT_AS), and memory that no process maps or holds is not seen: pipe and
//     socket buffers, kernel memory, and SysV shm segments left detached (sandbox.ts caps those
//     per run through the IPC namespace when running as root). The sandbox's tmpfs mounts are
//     bounded by their own size.
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const SANDBOX_CGROUP_ENV = 'POSTTRAIN_SANDBOX_CGROUP';

/** How often the watcher samples the run's memory. */
export const WATCH_INTERVAL_MS = 50;

export interface MemoryCapRun {
  /** argv to put in front of the command (the cgroup entry); empty for the watcher. */
  prefix: string[];
  /** Starts watching the spawned process `pid`; `kill` ends the whole run. */
  watch(pid: number, kill: () => void): void;
  /** Stops watching and cleans up; the reason when the cap ended the run, else undefined. */
  finish(): Promise<string | undefined>;
}

let explicitCgroup: string | null | undefined;
const checkedCgroups = new Set<string>();

/** Use this cgroup v2 directory for runs (null: never use a cgroup; undefined: back to the environment variable). */
export function setSandboxCgroup(dir: string | null | undefined): void {
  explicitCgroup = dir;
}

/** The cgroup directory runs go under, checked once per directory; null when the watcher is used. */
function cgroupBase(): string | null {
  const fromEnv = process.env[SANDBOX_CGROUP_ENV];
  const dir = explicitCgroup !== undefined ? explicitCgroup : fromEnv !== undefined && fromEnv !== '' ? fromEnv : null;
  if (dir === null) return null;
  if (checkedCgroups.has(dir)) return dir;
  const source = explicitCgroup !== undefined ? `setSandboxCgroup(${JSON.stringify(dir)})` : `${SANDBOX_CGROUP_ENV}=${dir}`;
  const controllersFile = join(dir, 'cgroup.controllers');
  if (!existsSync(controllersFile)) throw new Error(`${source}: not a cgroup v2 directory (no ${controllersFile})`);
  const available = readFileSync(controllersFile, 'utf8').trim().split(/\s+/);
  for (const c of ['memory', 'pids']) {
    if (!available.includes(c)) {
      throw new Error(`${source}: the ${c} controller is not available there (cgroup.controllers: ${JSON.stringify(available.join(' '))})`);
    }
  }
  const subtreeFile = join(dir, 'cgroup.subtree_control');
  const enabled = readFileSync(subtreeFile, 'utf8').trim().split(/\s+/);
  if (!enabled.includes('memory') || !enabled.includes('pids')) {
    try {
      writeFileSync(subtreeFile, '+memory +pids');
    } catch (e) {
      throw new Error(
        `${source}: cannot enable the memory and pids controllers for child cgroups in ${subtreeFile} ` +
          `(${(e as Error).message}); the directory must hold no process itself`,
      );
    }
  }
  checkedCgroups.add(dir);
  return dir;
}

/** Which mechanism the next run's total memory cap uses (throws when the configured cgroup is unusable). */
export function sandboxMemoryMechanism(): 'cgroup' | 'watcher' {
  return cgroupBase() === null ? 'watcher' : 'cgroup';
}

function fmtBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

/**
 * Prepares the total cap for one run. Throws (with the cgroup path) when a cgroup cannot be made;
 * the caller reports that as a failed start.
 */
export function openMemoryCap(limits: { totalMemoryBytes: number; maxProcesses: number }): MemoryCapRun {
  const base = cgroupBase();
  return base === null ? watcherCap(limits.totalMemoryBytes) : cgroupCap(base, limits);
}

// ---- cgroup v2 ----

function cgroupCap(base: string, limits: { totalMemoryBytes: number; maxProcesses: number }): MemoryCapRun {
  const dir = join(base, `posttrain-sandbox-${process.pid}-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir);
  try {
    writeFileSync(join(dir, 'memory.max'), String(limits.totalMemoryBytes));
    if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
    if (existsSync(join(dir, 'memory.oom.group'))) writeFileSync(join(dir, 'memory.oom.group'), '1');
    writeFileSync(join(dir, 'pids.max'), String(limits.maxProcesses));
  } catch (e) {
    removeCgroup(dir);
    throw new Error(`cannot set up cgroup ${dir}: ${(e as Error).message}`);
  }
  return {
    prefix: ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', join(dir, 'cgroup.procs')],
    watch: () => {},
    finish: async () => {
      let reason: string | undefined;
      try {
        const events = readFileSync(join(dir, 'memory.events'), 'utf8');
        const count = (key: string) => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(events)?.[1] ?? 0);
        if (count('oom_kill') > 0 || count('oom_group_kill') > 0) {
          reason = `total memory limit of ${fmtBytes(limits.totalMemoryBytes)} exceeded (cgroup memory.max, all processes of the run together); killed`;
        }
      } catch {
        /* no events file: nothing to report */
      }
      await removeCgroupAsync(dir);
      return reason;
    },
  };
}

function removeCgroup(dir: string): boolean {
  try {
    if (existsSync(join(dir, 'cgroup.kill'))) writeFileSync(join(dir, 'cgroup.kill'), '1');
  } catch {
    /* empty already, or an older kernel */
  }
  try {
    rmdirSync(dir);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Processes killed a moment ago may still be leaving the cgroup (EBUSY): retry for up to ~2 s. */
async function removeCgroupAsync(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (removeCgroup(dir)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---- /proc watcher ----

interface Watched {
  root: number;
  limit: number;
  kill: () => void;
  exceededAt?: number;
}

const watched = new Set<Watched>();
let timer: NodeJS.Timeout | undefined;

/** Children of one process from /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN): reads only the run's processes. */
const HAS_CHILDREN_FILES = existsSync(`/proc/self/task/${process.pid}/children`);

type ChildrenOf = (pid: number) => number[];

function childrenFromTasks(pid: number): number[] {
  const out: number[] = [];
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // exited meanwhile
  }
  for (const tid of tids) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ')) if (c.trim()) out.push(Number(c));
    } catch {
      /* thread exited meanwhile */
    }
  }
  return out;
}

/** Without those files: the parent pid of every process on the machine, as a children map (one /proc scan). */
function childrenFromScan(): ChildrenOf {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ', 2)[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(name));
    else children.set(ppid, [Number(name)]);
  }
  return (pid) => children.get(pid) ?? [];
}

/** Proportional anonymous + shared memory of one process, in bytes, plus the memfds it holds (deduplicated by inode). */
function processBytes(pid: number, memfds: Set<string>): number {
  let bytes = 0;
  const kb = (text: string, key: string) => new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1];
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
    const anon = kb(rollup, 'Pss_Anon');
    // Kernels before 5.x lack Pss_Anon: then all of Pss (file pages too: an overcount, never an undercount).
    bytes += anon !== undefined ? (Number(anon) + Number(kb(rollup, 'Pss_Shmem') ?? 0)) * 1024 : Number(kb(rollup, 'Pss') ?? 0) * 1024;
  } catch {
    // smaps_rollup needs ptrace access; status does not. Its RSS counts pages shared after fork in
    // every process (an overcount, never an undercount).
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'latin1');
      bytes += (Number(kb(status, 'RssAnon') ?? 0) + Number(kb(status, 'RssShmem') ?? 0)) * 1024;
    } catch {
      return 0; // exited meanwhile
    }
  }
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!target.startsWith('/memfd:')) continue;
      const st = statSync(`/proc/${pid}/fd/${fd}`);
      const key = `${st.dev}:${st.ino}`;
      if (memfds.has(key)) continue;
      memfds.add(key);
      bytes += st.blocks * 512;
    }
  } catch {
    /* exited meanwhile */
  }
  return bytes;
}

/** Memory of `root` and all its descendants. */
function treeBytes(root: number, childrenOf: ChildrenOf): number {
  const memfds = new Set<string>();
  let total = 0;
  const stack = [root];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    total += processBytes(pid, memfds);
    for (const c of childrenOf(pid)) if (!seen.has(c)) stack.push(c);
  }
  return total;
}

function tick(): void {
  if (watched.size === 0) return;
  const childrenOf = HAS_CHILDREN_FILES ? childrenFromTasks : childrenFromScan();
  for (const w of watched) {
    if (w.exceededAt !== undefined) continue;
    const bytes = treeBytes(w.root, childrenOf);
    if (bytes > w.limit) {
      w.exceededAt = bytes;
      w.kill();
    }
  }
}

function watcherCap(limit: number): MemoryCapRun {
  let entry: Watched | undefined;
  return {
    prefix: [],
    watch: (pid, kill) => {
      entry = { root: pid, limit, kill };
      watched.add(entry);
      if (timer === undefined) {
        timer = setInterval(tick, WATCH_INTERVAL_MS);
        timer.unref();
      }
      tick();
    },
    finish: async () => {
      if (entry === undefined) return undefined;
      watched.delete(entry);
      if (watched.size === 0 && timer !== undefined) {
        clearInterval(timer);
        timer = undefined;
      }
      if (entry.exceededAt === undefined) return undefined;
      return (
        `total memory limit of ${fmtBytes(limit)} exceeded (all processes of the run together held ` +
        `${fmtBytes(entry.exceededAt)}, sampled every ${WATCH_INTERVAL_MS} ms); killed`
      );
    },
  };
}
