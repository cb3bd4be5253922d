// `posttrain launch --nproc-per-node=N [--nnodes=M --node-rank=K --master-addr=HOST --master-port=P] <command …>`:
// starts N ranks of a posttrain command on this machine with torchrun's environment (RANK,
// WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), as `torchrun --no-python
// --nproc-per-node=N node …/main.js <command …>` would. Each rank's output goes through, lines of
// ranks other than 0 prefixed "[rank R] ". When a rank fails, the launcher names it, gives the
// others stop_timeout seconds to stop on their own (they notice the missing peer at their next
// collective and exit naming it), then terminates them; it exits with the failed rank's code.
// SIGINT / SIGTERM are forwarded to every rank.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { command, UsageError } from './args.js';

/** A free TCP port on the loopback interface (for a single-node launch without --master-port). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function prefixLines(stream: NodeJS.ReadableStream, out: NodeJS.WritableStream, prefix: string): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out.write(`${prefix}${line}\n`));
}

export const launchCommand = command({
  summary: "run a trainer as several data-parallel ranks here (torchrun's environment; use torchrun, Slurm or Kubernetes the same way)",
  trailingCommand: true,
  schema: {
    nproc_per_node: { type: 'int', default: 1, min: 1, doc: 'ranks on this machine (one per GPU, or per CPU socket / core group)' },
    nnodes: { type: 'int', default: 1, min: 1, doc: 'machines in the job' },
    node_rank: { type: 'int', default: 0, min: 0, doc: "this machine's index among them (0 hosts the rendezvous)" },
    master_addr: { type: 'string', default: '127.0.0.1', doc: "the address of node 0, where rank 0's rendezvous store listens" },
    master_port: { type: 'int', default: 0, min: 0, max: 65535, doc: 'its port (0: a free port for a single node, 29500 for several)' },
    stop_timeout: {
      type: 'number',
      default: 15,
      min: 0,
      doc: 'seconds the other ranks get to stop on their own after one fails, before they are terminated',
    },
  },
  run: async (cfg, _where, trailing) => {
    if (!trailing.length)
      throw new UsageError('launch: name the command to run, e.g. posttrain launch --nproc-per-node=2 sft --config=sft.yaml');
    if (cfg.node_rank >= cfg.nnodes) throw new UsageError(`launch: node_rank ${cfg.node_rank} must be below nnodes ${cfg.nnodes}`);
    const port = cfg.master_port > 0 ? cfg.master_port : cfg.nnodes === 1 ? await freePort() : 29500;
    const world = cfg.nproc_per_node * cfg.nnodes;
    const main = fileURLToPath(new URL('./main.js', import.meta.url));
    const ranks: { rank: number; child: ChildProcess; exited: boolean }[] = [];
    let failure: { rank: number; code: number } | null = null;
    let remaining = cfg.nproc_per_node;
    let terminate: NodeJS.Timeout | null = null;
    const stopOthers = () => {
      terminate ??= setTimeout(() => {
        for (const r of ranks) if (!r.exited) r.child.kill('SIGTERM');
        setTimeout(() => ranks.forEach((r) => !r.exited && r.child.kill('SIGKILL')), 5000).unref();
      }, cfg.stop_timeout * 1000);
    };
    const done = new Promise<void>((resolve) => {
      for (let local = 0; local < cfg.nproc_per_node; local++) {
        const rank = cfg.node_rank * cfg.nproc_per_node + local;
        const env = {
          ...process.env,
          RANK: String(rank),
          LOCAL_RANK: String(local),
          WORLD_SIZE: String(world),
          LOCAL_WORLD_SIZE: String(cfg.nproc_per_node),
          GROUP_RANK: String(cfg.node_rank),
          MASTER_ADDR: cfg.master_addr,
          MASTER_PORT: String(port),
        };
        const child = spawn(process.execPath, [main, ...trailing], { env, stdio: rank === 0 ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
        if (rank !== 0) {
          prefixLines(child.stdout!, process.stdout, `[rank ${rank}] `);
          prefixLines(child.stderr!, process.stderr, `[rank ${rank}] `);
        }
        const entry = { rank, child, exited: false };
        ranks.push(entry);
        child.on('exit', (code, signal) => {
          entry.exited = true;
          remaining--;
          const failed = code !== 0;
          if (failed && !failure) {
            failure = { rank, code: code ?? 1 };
            process.stderr.write(
              `posttrain launch: rank ${rank} (pid ${child.pid}) ${signal ? `was killed by ${signal}` : `exited with code ${code}`}; ` +
                `stopping the other ranks (they get ${cfg.stop_timeout} s to stop on their own)\n`,
            );
            stopOthers();
          }
          if (remaining === 0) resolve();
        });
      }
    });
    const forward = (sig: NodeJS.Signals) => () => ranks.forEach((r) => !r.exited && r.child.kill(sig));
    const onInt = forward('SIGINT'),
      onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    try {
      await done;
    } finally {
      if (terminate) clearTimeout(terminate);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
    const f = failure as { rank: number; code: number } | null;
    return f ? (f.code === 0 ? 1 : f.code) : 0;
  },
});
