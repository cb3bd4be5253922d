// GRPO refuses to "train" on rewards that cannot judge its data: a reward whose column the data
// lacks fails before the first round, and rounds in which no group could be scored stop the run
// with an error after max_unscored_rounds, without a final model.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainGrpo } from '../../src/trainers/grpo/train.js';
import { checkRewardColumns } from '../../src/trainers/grpo/rewards.js';
import { resolveConfig } from '../../src/common/schema.js';
import { GRPO_SCHEMA, type GrpoConfig } from '../../src/trainers/grpo/config.js';
import { makeSftSetup, saveTinyModel } from '../helpers/sft_setup.js';

const setup = makeSftSetup(16);
after(() => rmSync(setup.dir, { recursive: true, force: true }));
const modelDir = join(setup.dir, 'policy');
saveTinyModel(setup, modelDir, 3);
const noAnswer = join(setup.dir, 'no_answer.jsonl');
writeFileSync(
  noAnswer,
  Array.from({ length: 8 }, (_, i) => JSON.stringify({ prompt: `what is ${i} plus ${i}?`, solution: 2 * i })).join('\n') + '\n',
);

const cfg = (out: string, over: Partial<GrpoConfig> = {}) =>
  resolveConfig(
    GRPO_SCHEMA,
    {
      model_name_or_path: modelDir,
      dataset_name: [noAnswer],
      output_dir: join(setup.dir, out),
      num_generations: 4,
      prompts_per_step: 2,
      max_completion_length: 6,
      max_steps: 6,
      seed: 1,
      ...over,
    },
    'test',
    {},
  );

test("a reward whose column the data lacks fails before the first round, naming the reward, the column and the data's columns", async () => {
  await assert.rejects(trainGrpo(cfg('math', { reward_funcs: ['math', 'format'] }), { quiet: true }), (e: Error) => {
    assert.equal(
      e.message,
      `config: reward 'math' reads column 'answer', which the data in ${noAnswer} does not have (columns: prompt, solution)`,
    );
    return true;
  });
  assert.ok(!existsSync(join(setup.dir, 'math', 'final')));
  assert.ok(!existsSync(join(setup.dir, 'math', 'metrics.jsonl')) || readFileSync(join(setup.dir, 'math', 'metrics.jsonl'), 'utf8') === '');

  const c = (over: Partial<GrpoConfig>) => cfg('unused', over);
  const rows = (...examples: Record<string, unknown>[]) => examples.map((example) => ({ example }));
  assert.throws(
    () => checkRewardColumns(c({ reward_funcs: ['routed'] }), {}, rows({ prompt: 'p' }), ['d.jsonl']),
    /reward 'routed' \(rule_rewards math, code, no reward_models\) reads column 'answer' or 'tests', which the data in d\.jsonl does not have \(columns: prompt\)/,
  );
  assert.throws(
    () => checkRewardColumns(c({ reward_funcs: ['code'] }), {}, rows({ prompt: 'p', tests: null }), ['d.parquet']),
    /reward 'code' reads column 'tests'/,
    'a column that is null in every row (Parquet) is absent',
  );
  // the column in some rows is enough (the others are skipped and counted); the caller's own reward of that name is not checked
  checkRewardColumns(c({ reward_funcs: ['math'] }), {}, rows({ prompt: 'p' }, { prompt: 'q', answer: 1 }), ['d.jsonl']);
  checkRewardColumns(c({ reward_funcs: ['math'] }), { math: () => 1 }, rows({ prompt: 'p' }), ['d.jsonl']);
  checkRewardColumns(c({ reward_funcs: ['routed'], rule_rewards: ['math', 'format'] }), {}, rows({ prompt: 'p' }), ['d.jsonl']);
  checkRewardColumns(c({ reward_funcs: ['routed'] }), {}, rows({ prompt: 'p', tests: [] }), ['d.jsonl']);
});

test('rounds in which no group could be scored stop the run after max_unscored_rounds, with no final model', async () => {
  const out = join(setup.dir, 'never');
  await assert.rejects(
    trainGrpo(cfg('never', { reward_funcs: ['never', 'format'], max_unscored_rounds: 2 }), {
      quiet: true,
      rewardFns: { never: () => null },
    }),
    (e: Error) => {
      assert.equal(
        e.message,
        'GRPO: 2 rounds in a row without a scored group (max_unscored_rounds 2): never: null for all 32 samples; format: a number for all 32 samples. ' +
          'The rewards cannot judge these rows (does the data have the columns they read?); no final model was written',
      );
      return true;
    },
  );
  assert.ok(!existsSync(join(out, 'final')), 'no final model');
  const log = readFileSync(join(out, 'log.txt'), 'utf8');
  assert.match(log, /step 1: no group could be scored \(never: null for all 32 samples/);

  // groups that all score alike are scored (dropped by dynamic sampling, no update), not unscored
  const r = await trainGrpo(cfg('alike', { reward_funcs: ['one'], max_unscored_rounds: 1, max_steps: 2 }), {
    quiet: true,
    rewardFns: { one: () => 1 },
  });
  assert.equal(r.steps, 2);
  assert.ok(existsSync(r.finalDir));
});
