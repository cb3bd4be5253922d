// An exclusive lock on what one process writes (a training run's output_dir; a gen-data output
// file, locked by `<file>.lock` beside it): `<dir>/.lock` (or another name) created with O_EXCL, holding {pid, host, started, command}. A second
// process asking for it gets a LockError naming the holder. A lock left by a process that died
// (same host, pid no longer alive — or alive but a different process, told apart by its start time
// in /proc) is stale: it is taken over, and the takeover is reported. A lock from another host
// cannot be checked from here and is refused with the path to remove by hand. Within one process
// the lock is held once: a second acquire of the same folder (two trainers in one script writing
// the same folder at once) is refused too. Released by release(), and at exit.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export class LockError extends Error {
  constructor(
    readonly dir: string,
    detail: string,
  ) {
    super(`${dir}: ${detail}`);
    this.name = 'LockError';
  }
}

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holder took the lock. */
  started: string;
  /** The holder's process start time (clock ticks after boot, /proc/<pid>/stat field 22), to tell a reused pid. */
  pidStart: number | null;
  command: string;
}

export interface RunLock {
  readonly file: string;
  /** Set when a dead process's lock was taken over. */
  readonly tookOverFrom: LockHolder | null;
  release(): void;
}

const held = new Map<string, string>(); // resolved dir → lock file, held by this process

/** The start time of a live process (Linux /proc), or null where it cannot be read. */
function processStart(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) "
    const start = Number(fields[19]); // field 22 overall
    return Number.isFinite(start) ? start : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describe(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host} since ${h.started}${h.command ? ` (${h.command})` : ''}`;
}

/**
 * Takes `<dir>/<name>` (creating dir). `what` names what is locked in messages ("output_dir").
 * Throws LockError when a live process holds it.
 */
export function acquireLock(dir: string, what = 'folder', name = '.lock'): RunLock {
  const file = join(dir, name);
  const key = resolve(file);
  if (held.has(key)) {
    throw new LockError(
      dir,
      `${what} is already in use by this process (another run in the same program writes it); give each run its own ${what}`,
    );
  }
  mkdirSync(dir, { recursive: true });
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    pidStart: processStart(process.pid),
    command: process.argv.slice(1, 4).join(' ').slice(0, 200),
  };
  let tookOverFrom: LockHolder | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new LockError(dir, `cannot create ${file}: ${(e as Error).message}`);
      let holder: LockHolder | null = null;
      try {
        holder = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
      } catch {
        holder = null; // being written right now, or a torn write of a killed holder
      }
      if (holder === null || typeof holder.pid !== 'number') {
        // a holder writes its record right after creating the file: give it a moment, then call it stale
        if (attempt === 0) {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
          continue;
        }
        rmSync(file, { force: true });
        continue;
      }
      if (holder.host !== me.host) {
        throw new LockError(
          dir,
          `${what} is locked by ${describe(holder)}, another host, which cannot be checked from here; if that run is gone, remove ${file}`,
        );
      }
      const stillThere = alive(holder.pid) && (holder.pidStart === null || processStart(holder.pid) === holder.pidStart);
      if (stillThere) {
        throw new LockError(
          dir,
          `${what} is in use by a running process: ${describe(holder)}; wait for it, stop it, or choose another ${what}`,
        );
      }
      tookOverFrom = holder;
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(me) + '\n');
    } finally {
      closeSync(fd);
    }
    held.set(key, file);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      held.delete(key);
      process.off('exit', release);
      try {
        const now = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
        if (now.pid === me.pid && now.started === me.started) rmSync(file, { force: true });
      } catch {
        // already gone
      }
    };
    process.on('exit', release);
    return { file, tookOverFrom, release };
  }
  throw new LockError(dir, `could not take ${file} (it keeps reappearing: another process is starting in the same ${what})`);
}
