// Option objects of the public functions: one validator refuses unknown names with a did-you-mean,
// missing required options, and values of the wrong type or range, as an OptionError (a TypeError)
// that names the function and the option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOptions, suggestOption, OptionError, type OptionSpecs } from '../../src/common/options.js';
import { applyLora } from '../../src/models/lora.js';
import { createModel, loadModel, saveModel } from '../../src/models/index.js';
import { generate } from '../../src/generation/index.js';
import * as api from '../../src/index.js';
import { TINY } from '../helpers/models.js';

const SPECS: OptionSpecs = {
  r: { type: 'int', min: 1, required: true, doc: 'the rank', aka: ['rank'] },
  dropout: { type: 'number', min: 0, below: 1, doc: 'dropout' },
  targetModules: { type: 'strings', doc: 'layer names', aka: ['lora_target_modules'] },
  mode: { type: 'string', values: ['merge', 'base'], doc: 'mode' },
};

/** Asserts `fn` throws an OptionError for `fn`/`option` whose message matches `re`; returns it. */
function optionError(fn: () => unknown, where: string, option: string, re: RegExp): OptionError {
  let caught: unknown;
  assert.throws(fn, (e: unknown) => {
    caught = e;
    return true;
  });
  assert.ok(caught instanceof OptionError, `an OptionError, got ${String(caught)}`);
  assert.ok(caught instanceof TypeError);
  assert.equal(caught.fn, where);
  assert.equal(caught.option, option);
  assert.match(caught.message, re);
  return caught;
}

test('suggestOption: case styles, other names people use, near spellings', () => {
  assert.equal(suggestOption('target_modules', SPECS), 'targetModules');
  assert.equal(suggestOption('lora_target_modules', SPECS), 'targetModules');
  assert.equal(suggestOption('rank', SPECS), 'r');
  assert.equal(suggestOption('rnak', SPECS), 'r');
  assert.equal(suggestOption('dropuot', SPECS), 'dropout');
  assert.equal(suggestOption('zzzzzz', SPECS), null);
});

test('checkOptions refuses unknown, missing, mistyped and out-of-range options, naming function and option', () => {
  assert.deepEqual(checkOptions('f', { r: 2, mode: 'merge' }, SPECS), { r: 2, mode: 'merge' });
  const e = optionError(
    () => checkOptions('f', { r: 2, dropuot: 0.1 }, SPECS),
    'f',
    'dropuot',
    /^f: unknown option 'dropuot' \(did you mean 'dropout'\?\); the options are r, dropout, targetModules, mode$/,
  );
  assert.equal(e.suggestion, 'dropout');
  assert.deepEqual(e.accepted, ['r', 'dropout', 'targetModules', 'mode']);
  optionError(() => checkOptions('f', { dropout: 0.1 }, SPECS), 'f', 'r', /^f: option r is required \(the rank\)$/);
  optionError(() => checkOptions('f', { r: 1.5 }, SPECS), 'f', 'r', /^f: r must be an integer, got 1.5$/);
  optionError(() => checkOptions('f', { r: 1, dropout: 1 }, SPECS), 'f', 'dropout', /^f: dropout must be < 1, got 1$/);
  optionError(
    () => checkOptions('f', { r: 1, targetModules: 'q_proj' }, SPECS),
    'f',
    'targetModules',
    /must be a list of strings, got "q_proj"/,
  );
  optionError(() => checkOptions('f', { r: 1, mode: 'merged' }, SPECS), 'f', 'mode', /must be one of "merge" \| "base", got "merged"/);
  optionError(() => checkOptions('f', 8 as never, SPECS), 'f', '', /^f: options must be an object, got 8$/);
  optionError(() => checkOptions('f', { r: 1, toString: 1 }, SPECS), 'f', 'toString', /unknown option 'toString'/);
});

test('applyLora with a misspelt option throws an OptionError with a suggestion, not a bare TypeError', () => {
  const m = createModel(TINY.llama);
  const good = { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj'] };
  const e = optionError(
    () => applyLora(m, { rnak: 8 } as never),
    'applyLora',
    'rnak',
    /^applyLora: unknown option 'rnak' \(did you mean 'r'\?\)/,
  );
  assert.equal(e.suggestion, 'r');
  optionError(
    () => applyLora(m, { ...good, targetModules: undefined, target_modules: ['q_proj'] } as never),
    'applyLora',
    'target_modules',
    /did you mean 'targetModules'/,
  );
  optionError(
    () => applyLora(m, { r: 4, alpha: 8, dropout: 0 } as never),
    'applyLora',
    'targetModules',
    /option targetModules is required/,
  );
  optionError(() => applyLora(m, { ...good, lora_alpha: 16 } as never), 'applyLora', 'lora_alpha', /did you mean 'alpha'/);
  assert.ok(!m.namedParameters().some(([k]) => k.includes('lora_')), 'nothing attached');
  m.dispose();
});

test('createModel, loadModel and saveModel check their options the same way', () => {
  optionError(() => createModel(TINY.llama, { sed: 1 } as never), 'createModel', 'sed', /did you mean 'seed'/);
  optionError(() => createModel(TINY.llama, { dtype: 'fp32' } as never), 'createModel', 'dtype', /dtype must be one of/);
  optionError(() => loadModel('/nonexistent', { devcie: 'cpu' } as never), 'loadModel', 'devcie', /did you mean 'device'/);
  const m = createModel(TINY.llama);
  optionError(() => saveModel(m, '/nonexistent/x', { mergeLora: true } as never), 'saveModel', 'mergeLora', /did you mean 'lora'/);
  optionError(
    () => saveModel(m, '/nonexistent/x', { lora: true } as never),
    'saveModel',
    'lora',
    /lora must be one of "merge" \| "base", got true/,
  );
  m.dispose();
});

test('generate checks its option names and types the same way', () => {
  const m = createModel(TINY.llama);
  optionError(() => generate(m, [[1]], { max_new_tokens: 2 } as never), 'generate', 'max_new_tokens', /did you mean 'maxNewTokens'/);
  optionError(
    () => generate(m, [[1]], { maxNewTokens: 2, temprature: 0 } as never),
    'generate',
    'temprature',
    /did you mean 'temperature'/,
  );
  optionError(
    () => generate(m, [[1]], { maxNewTokens: 2, eosTokenIds: 3 } as never),
    'generate',
    'eosTokenIds',
    /must be a list of numbers, got 3/,
  );
  assert.equal(generate(m, [[1]], { maxNewTokens: 2, temperature: 0, stopStrings: undefined })[0]!.tokens.length, 2);
  m.dispose();
});

test('the library surface exports the error and the validator', () => {
  assert.equal(api.OptionError, OptionError);
  assert.equal(typeof api.checkOptions, 'function');
  assert.equal(typeof api.setModelTokenizer, 'function');
});
