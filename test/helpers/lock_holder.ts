// Another live process holding a run lock (common/run_lock.ts), for the tests of what a second
// writer gets: resolves once the lock is taken; kill() it to leave a stale lock behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export async function holdLock(dir: string, name = '.lock'): Promise<ChildProcess> {
  const lockModule = fileURLToPath(new URL('../../src/common/run_lock.js', import.meta.url));
  const holder = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { acquireLock } from ${JSON.stringify(lockModule)}; acquireLock(${JSON.stringify(dir)}, 'test', ${JSON.stringify(name)}); console.log('locked'); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    holder.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
  });
  return holder;
}
