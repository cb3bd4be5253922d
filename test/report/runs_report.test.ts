// `posttrain report RUN_DIR…`: report.html for run folders trainers wrote — one run's curves in its
// own folder; several runs overlaid metric by metric in a "Runs compared" section; a folder without
// metrics refused by name.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainSft } from '../../src/trainers/sft.js';
import { makeSftSetup, sftConfig } from '../helpers/sft_setup.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const setup = makeSftSetup(16);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
const cli = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });

test('posttrain report: one run in its folder; two runs overlaid per metric; a folder without metrics refused', async () => {
  const a = join(setup.dir, 'lr-high'),
    b = join(setup.dir, 'lr-low');
  await trainSft(sftConfig(setup, a, { max_steps: 4, learning_rate: 1e-2 }), { quiet: true });
  await trainSft(sftConfig(setup, b, { max_steps: 4, learning_rate: 1e-4, min_lr: 1e-5 }), { quiet: true });

  const one = cli(['report', a]);
  assert.equal(one.status, 0, one.stderr);
  const single = readFileSync(join(a, 'report.html'), 'utf8');
  assert.match(single, /Content-Security-Policy/);
  assert.match(single, /data-chart="lr-high\//);
  assert.doesNotMatch(single, /id="compare"/);

  const out = join(setup.dir, 'both.html');
  const two = cli(['report', a, b, `--output=${out}`, '--title=learning rates']);
  assert.equal(two.status, 0, two.stderr);
  assert.equal(JSON.parse(two.stdout.trim()).output, out);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /<title>learning rates<\/title>/);
  const compare = html.slice(html.indexOf('<section id="compare">'), html.indexOf('</section>', html.indexOf('<section id="compare">')));
  assert.ok(compare.length > 0, 'a Runs compared section');
  const lossChart = compare.slice(compare.indexOf('data-chart="compare/loss"'));
  assert.ok(lossChart.length > 0 && lossChart.includes('lr-high') && lossChart.includes('lr-low'), 'the loss chart has a line per run');
  assert.match(two.stderr, /lr-high\s+sft/);

  const bad = cli(['report', setup.dir]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /has no metrics\.jsonl/);
  assert.ok(!existsSync(join(setup.dir, 'report.html')));
});
