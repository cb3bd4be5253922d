// The host processes a sandboxed run left behind, for the sandbox tests' "nothing lingers" checks.
import { readdirSync, readFileSync } from 'node:fs';
import { SANDBOX_UID_BASE, SANDBOX_UID_SPAN } from '../../src/rewards/sandbox.js';

/** Live (non-zombie) host processes running as a sandbox uid. A killed sandbox's init is reparented
 *  to the host's pid 1 and lingers as a zombie until reaped; that holds no resources. */
export function liveSandboxProcesses(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      const state = /^State:\s+(\S)/m.exec(status)?.[1];
      if (uid >= SANDBOX_UID_BASE && uid < SANDBOX_UID_BASE + SANDBOX_UID_SPAN && state !== 'Z') pids.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}
