// GRPO with model-based rewards wired from its config: per-row routing (rule → judge with the
// reference → reward model), a judge behind a real OpenAI-compatible HTTP server on loopback, a
// judge that is a local model folder, the judge's reasoning in samples.jsonl, the guards and the
// per-round diagnostics, and the config errors.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { trainGrpo } from '../../../src/trainers/grpo/train.js';
import { resolveConfig } from '../../../src/common/schema.js';
import { GRPO_SCHEMA, type GrpoConfig } from '../../../src/trainers/grpo/config.js';
import { createModel, saveModel } from '../../../src/models/index.js';
import { rewardModelFromCausal, saveRewardModel } from '../../../src/models/reward_model.js';
import { tokenizerFiles } from '../../../src/trainers/checkpoint.js';
import { makeSftSetup } from '../../helpers/sft_setup.js';

const setup = makeSftSetup(16);
const modelDir = join(setup.dir, 'policy'),
  rmDir = join(setup.dir, 'rm');
const model = createModel(
  {
    model_type: 'llama',
    vocab_size: setup.vocab,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
  },
  { seed: 3 },
);
saveModel(model, modelDir, { tokenizerFiles: tokenizerFiles(setup.tokDir) });
model.dispose();
const rm = rewardModelFromCausal(modelDir, 5);
saveRewardModel(rm, rmDir, { padTokenId: 0, tokenizerFiles: tokenizerFiles(setup.tokDir) });
rm.dispose();
const prompts = join(setup.dir, 'mixed.jsonl');
writeFileSync(
  prompts,
  [
    { question: 'what is 2 plus 3?', answer: 5 },
    { question: 'what is 4 plus 1?', answer: 5 },
    { question: 'name the colour of snow', reference: 'white' },
    { question: 'say the word cat', reference: 'cat' },
    { question: 'write a short greeting' },
    { question: 'tell me something kind' },
  ]
    .map((r) => JSON.stringify(r))
    .join('\n') + '\n',
);

// A scripted judge behind a real HTTP server: "correct" when the response has an even number of characters.
let judgeServer: Server,
  judgeUrl = '',
  judgeRequests = 0;
const judgeText = (response: string) =>
  `The response has ${response.length} characters.\nVerdict: ${response.length % 2 === 0 ? 'correct' : 'incorrect'}`;
before(async () => {
  judgeServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      judgeRequests++;
      const b = JSON.parse(body) as { messages: { content: string }[]; n?: number };
      const response = /\n\nResponse:\n([\s\S]*)$/.exec(b.messages.at(-1)!.content)?.[1] ?? '';
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          created: 0,
          model: 'judge',
          choices: Array.from({ length: b.n ?? 1 }, (_, index) => ({
            index,
            finish_reason: 'stop',
            message: { role: 'assistant', content: judgeText(response) },
          })),
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
  });
  await new Promise<void>((r) => judgeServer.listen(0, '127.0.0.1', r));
  judgeUrl = `http://127.0.0.1:${(judgeServer.address() as AddressInfo).port}/v1`;
});
after(() => {
  judgeServer.close();
  rmSync(setup.dir, { recursive: true, force: true });
});

const cfg = (out: string, over: Partial<GrpoConfig> = {}) =>
  resolveConfig(
    GRPO_SCHEMA,
    {
      model_name_or_path: modelDir,
      dataset_name: [prompts],
      output_dir: join(setup.dir, out),
      num_generations: 4,
      prompts_per_step: 6,
      max_completion_length: 10,
      learning_rate: 1e-3,
      max_steps: 2,
      reward_funcs: ['routed', 'math'],
      reward_weights: [1, 0],
      reward_models: [rmDir],
      judge: judgeUrl,
      judge_model: 'judge',
      dynamic_sampling: false,
      dynamic_sampling_rounds: 1,
      log_samples_every: 1,
      cross_check: 0.5,
      seed: 1,
      ...over,
    },
    'test',
    {},
  );
const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
interface LoggedCompletion {
  text: string;
  reward: number | null;
  rewards: Record<string, number | null>;
  notes?: Record<string, any>;
}

test('routed reward: rule for answer rows, the judge server with the reference, the reward model otherwise; reasoning in samples.jsonl', async () => {
  judgeRequests = 0;
  const r = await trainGrpo(cfg('routed'), { quiet: true });
  const m = lines(join(r.runDir, 'metrics.jsonl'));
  for (const x of m) {
    assert.equal(x['routing/rule'], 8, 'two answer rows × G 4 per round');
    assert.equal(x['routing/judge_with_reference'], 8);
    assert.equal(x['routing/models'], 8);
    assert.equal(x['routing/none'], 0);
    assert.equal(x['routing/judge_unparseable'], 0);
    assert.equal(x['routing/cross_checked'], 4, 'half the rule-checked completions are also scored by the model');
    assert.ok(typeof x['routing/model_rule_disagreement'] === 'number');
    assert.ok(x['routing/model_length_correlation'] === null || Math.abs(x['routing/model_length_correlation']) <= 1);
    assert.ok(typeof x['rewards/math'] === 'number', 'the weight-0 math reward is logged over the rows it can check');
  }
  assert.equal(judgeRequests, 16, 'one judge request per reference-row completion');
  const samples = lines(join(r.runDir, 'samples.jsonl'));
  assert.equal(samples.length, 12, 'six groups a round, two rounds');
  let seen = { rule: 0, judge: 0, models: 0 };
  for (const s of samples)
    for (const c of s.completions as LoggedCompletion[]) {
      const route = c.notes!['route'];
      if (route === 'rule') {
        seen.rule++;
        assert.equal(c.reward, c.rewards['math']);
      }
      if (route === 'judge-with-reference') {
        seen.judge++;
        const j = c.notes!['judge_reference'];
        assert.equal(c.reward, c.text.length % 2 === 0 ? 1 : 0, "the judge server's verdict is the reward");
        assert.deepEqual(j.reasoning, [`The response has ${c.text.length} characters.`], 'the reasoning behind the verdict is logged');
        assert.equal(c.rewards['math'], null);
      }
      if (route === 'models') {
        seen.models++;
        const v = c.notes!['reward_model_0'];
        assert.ok(
          Math.abs(c.reward! - 1 / (1 + Math.exp(-v.raw))) < 1e-12 && c.reward! > 0 && c.reward! < 1,
          "σ of the reward model's score",
        );
      }
    }
  assert.deepEqual(seen, { rule: 16, judge: 16, models: 16 });
});

test('a local judge folder: outputs without a verdict are counted and their completions skipped; the gate and clipping apply', async () => {
  const r = await trainGrpo(
    cfg('local', {
      judge: modelDir,
      judge_model: null,
      judge_max_tokens: 8,
      reward_gate: 'boxed',
      gated_reward: -1,
      model_reward_clip: [0.2, 0.4],
      max_steps: 1,
    }),
    { quiet: true },
  );
  const [x] = lines(join(r.runDir, 'metrics.jsonl'));
  // an untrained model never writes "Verdict: …" and never a \boxed{} answer
  assert.equal(x['routing/gated'], 16, 'every completion without a reference row fails the boxed gate');
  assert.equal(x['routing/rule'], 8);
  assert.equal(x['routing/judge_unparseable'], 0, 'gated before the judge is asked');
  const samples = lines(join(r.runDir, 'samples.jsonl'));
  const gated = samples.flatMap((s) => (s.completions as LoggedCompletion[]).filter((c) => c.notes?.['route'] === 'gated'));
  assert.equal(gated.length, 16);
  assert.ok(gated.every((c) => c.reward === -1));
  const open = await trainGrpo(
    cfg('local2', { judge: modelDir, judge_model: null, judge_max_tokens: 8, max_steps: 1, model_reward_clip: [0.45, 0.46] }),
    { quiet: true },
  );
  const [y] = lines(join(open.runDir, 'metrics.jsonl'));
  assert.equal(y['routing/judge_unparseable'], 8, 'eight judge outputs without a verdict');
  assert.equal(y['skipped_samples'], 8, 'their completions are skipped');
  const clipped = lines(join(open.runDir, 'samples.jsonl')).flatMap((s) =>
    (s.completions as LoggedCompletion[]).filter((c) => c.notes?.['route'] === 'models'),
  );
  assert.ok(
    clipped.length === 8 && clipped.every((c) => c.reward! >= 0.45 && c.reward! <= 0.46),
    `model scores clipped into [0.45, 0.46]: ${JSON.stringify(clipped.map((c) => [c.reward, c.notes]))}`,
  );
});

test('model-based reward settings are refused with the field at fault', async () => {
  await assert.rejects(
    trainGrpo(cfg('e1', { reward_funcs: ['math'], reward_weights: [] }), { quiet: true }),
    /reward_models and judge are used through the 'routed' reward/,
  );
  await assert.rejects(
    trainGrpo(cfg('e2', { judge_model: null }), { quiet: true }),
    /config field 'judge': a server URL .* needs the model name/,
  );
  await assert.rejects(trainGrpo(cfg('e3', { judge_votes: 3 }), { quiet: true }), /judge_votes 3 needs judge_temperature > 0/);
  await assert.rejects(
    trainGrpo(cfg('e4', { model_reward_clip: [1, 0] }), { quiet: true }),
    /model_reward_clip must be empty or \[lo, hi\]/,
  );
  await assert.rejects(trainGrpo(cfg('e5', { reward_gate: 'nope' }), { quiet: true }), /unknown reward_gate 'nope'/);
  await assert.rejects(trainGrpo(cfg('e6', { rule_rewards: ['nope'] }), { quiet: true }), /unknown rule reward 'nope'/);
  await assert.rejects(
    trainGrpo(cfg('e7', { judge: join(setup.dir, 'missing'), judge_model: null }), { quiet: true }),
    /config field 'judge': cannot load the model folder/,
  );
});
