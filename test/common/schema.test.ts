// The config schema: types inferred from one declaration, unknown keys refused with a suggestion,
// a bare string accepted where a list is expected, help and JSON Schema from the same fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, defineSchema, jsonSchema, resolveConfig, schemaHelp, suggestField, type ConfigOf } from '../../src/common/schema.js';

const S = defineSchema({
  dataset_name: { type: 'strings', default: [], required: true, doc: 'training files' },
  learning_rate: { type: 'number', default: 1e-5, min: 0, doc: 'peak learning rate' },
  num_train_epochs: { type: 'int', default: 2, min: 1, doc: 'passes over the data' },
  lr_scheduler_type: { type: 'string', default: 'cosine', values: ['cosine', 'linear'], doc: 'schedule' },
  tokenizer: { type: 'string', default: null, nullable: true, doc: 'tokenizer folder' },
});

test('ConfigOf infers each field: numbers, literal unions, nullable strings, lists', () => {
  const c: ConfigOf<typeof S> = resolveConfig(S, { dataset_name: ['a.jsonl'] }, 'x.yaml');
  const schedule: 'cosine' | 'linear' = c.lr_scheduler_type;
  const tok: string | null = c.tokenizer;
  const files: string[] = c.dataset_name;
  assert.deepEqual([schedule, tok, files, c.learning_rate, c.num_train_epochs], ['cosine', null, ['a.jsonl'], 1e-5, 2]);
});

test("unknown keys are refused with a did-you-mean: typos, other toolkits' names", () => {
  assert.equal(suggestField('epoch', Object.keys(S)), 'num_train_epochs');
  assert.equal(suggestField('learning_rte', Object.keys(S)), 'learning_rate');
  assert.equal(suggestField('lr', Object.keys(S)), 'learning_rate');
  assert.equal(suggestField('train_data', Object.keys(S)), 'dataset_name');
  assert.equal(suggestField('zzz', Object.keys(S)), null);
  assert.throws(
    () => resolveConfig(S, { dataset_name: 'a.jsonl', epoch: 3 }, 'run.yaml', { lr: '1e-4' }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /run\.yaml: unknown field 'epoch' \(did you mean 'num_train_epochs'\?\)/);
      assert.match(e.message, /--lr: unknown field 'lr' \(did you mean 'learning_rate'\?\)/);
      return true;
    },
  );
});

test('a bare string where a list is expected is a one-item list', () => {
  assert.deepEqual(resolveConfig(S, { dataset_name: 'a.jsonl' }, 'run.yaml').dataset_name, ['a.jsonl']);
});

test('help and JSON Schema come from the same declaration', () => {
  const h = schemaHelp(S);
  assert.match(h, /dataset_name {2}\(list of strings; required\)\n {6}training files/);
  assert.match(h, /lr_scheduler_type {2}\(cosine \| linear; default "cosine"\)/);
  assert.match(h, /learning_rate {2}\(number, >= 0; default 0\.00001\)/);
  const j = jsonSchema(S, 'sft') as {
    properties: Record<string, Record<string, unknown>>;
    required: string[];
    additionalProperties: boolean;
  };
  assert.equal(j.additionalProperties, false);
  assert.deepEqual(j.required, ['dataset_name']);
  assert.deepEqual(j.properties['lr_scheduler_type'], {
    type: 'string',
    enum: ['cosine', 'linear'],
    description: 'schedule',
    default: 'cosine',
  });
  assert.deepEqual(j.properties['tokenizer']!['anyOf'], [{ type: 'string' }, { type: 'null' }]);
});
