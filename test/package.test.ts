// The package as a user gets it: `npm pack` here, `npm install <tarball>` into an empty folder, the
// package's own setup (Debian packages present; the addon linked from its shipped sources — the
// objects compiled by this checkout are copied in first, so the test links instead of spending
// minutes recompiling the same sources), then a snippet that imports 'posttrain' and uses the
// engine, a config schema and the math verifier.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'posttrain-package-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sh = (cmd: string, args: string[], cwd: string) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}:\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-1500)}`);
  return r.stdout;
};

test('npm pack → npm install into an empty folder → setup → a snippet runs against the package', () => {
  sh('npm', ['pack', '--pack-destination', dir, '--loglevel=error'], root);
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', join(dir, tarball)], app);
  const pkg = join(app, 'node_modules', 'posttrain');
  assert.ok(
    existsSync(join(pkg, 'dist', 'src', 'index.js')) && existsSync(join(pkg, 'native', 'addon.cc')),
    'the tarball ships the compiled library and the addon sources',
  );
  mkdirSync(join(pkg, 'native', 'build'), { recursive: true });
  for (const f of readdirSync(join(root, 'native', 'build')).filter((x) => x.endsWith('.o')))
    copyFileSync(join(root, 'native', 'build', f), join(pkg, 'native', 'build', f));
  sh('bash', [join(pkg, 'scripts', 'setup.sh')], app);
  assert.ok(existsSync(join(pkg, 'native', 'build', 'posttrain.node')), 'the setup built the addon');
  writeFileSync(
    join(app, 'snippet.mjs'),
    `import * as pt from 'posttrain';
const s = pt.scope(() => pt.tensor([[1, 2], [3, 4]]).matmul(pt.tensor([[1], [1]])).sum().item());
const cfg = pt.resolveConfig(pt.SFT_SCHEMA, { dataset_name: 'data.jsonl', output_dir: 'out' }, 'app');
console.log(JSON.stringify({ s, epochs: cfg.num_train_epochs, right: pt.verifyMath('so $\\\\boxed{\\\\frac12}$', '0.5').correct }));
`,
  );
  const out = JSON.parse(sh(process.execPath, ['snippet.mjs'], app).trim());
  assert.deepEqual(out, { s: 10, epochs: 2, right: true });
});
