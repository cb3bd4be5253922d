import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChatTemplate, ChatTemplateError, CHATML_TEMPLATE, selectChatTemplate, type ChatMessage } from '../../src/tokenizer/index.js';
import { QWEN25_TEMPLATE, realTokenizer, realTokenizerWithConfig } from './real_tokenizers.js';

const SINGLE: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'What is 2+2?' },
  { role: 'assistant', content: '4.' },
];
const MULTI: ChatMessage[] = [
  { role: 'user', content: 'Hi!' },
  { role: 'assistant', content: 'Hello. 你好！' },
  { role: 'user', content: 'Name a prime.' },
  { role: 'assistant', content: '7' },
];

test('qwen3 template: system + user + assistant, and the generation prompt', () => {
  const qwen = realTokenizer('qwen3');
  // The last assistant turn (after the last user message) gets an empty think block.
  assert.equal(
    applyChatTemplate(qwen, SINGLE),
    '<|im_start|>system\nYou are terse.<|im_end|>\n' +
      '<|im_start|>user\nWhat is 2+2?<|im_end|>\n' +
      '<|im_start|>assistant\n<think>\n\n</think>\n\n4.<|im_end|>\n',
  );
  assert.equal(
    applyChatTemplate(qwen, SINGLE.slice(0, 2), { addGenerationPrompt: true }),
    '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n',
  );
  assert.equal(
    applyChatTemplate(qwen, SINGLE.slice(0, 2), { addGenerationPrompt: true, extra: { enable_thinking: false } }),
    '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n' +
      '<|im_start|>assistant\n<think>\n\n</think>\n\n',
  );
  assert.equal(applyChatTemplate(qwen, SINGLE.slice(0, 2)), applyChatTemplate(qwen, SINGLE.slice(0, 2), { addGenerationPrompt: false }));
});

test("qwen3 template: multi-turn drops earlier reasoning and keeps the last turn's", () => {
  const qwen = realTokenizer('qwen3');
  const messages: ChatMessage[] = [
    { role: 'user', content: 'Hi!' },
    { role: 'assistant', content: '<think>\ngreet back\n</think>\n\nHello. 你好！' },
    { role: 'user', content: 'Name a prime.' },
    { role: 'assistant', content: '7', reasoning_content: 'Small primes: 2, 3, 5, 7.' },
  ];
  assert.equal(
    applyChatTemplate(qwen, messages),
    '<|im_start|>user\nHi!<|im_end|>\n' +
      '<|im_start|>assistant\nHello. 你好！<|im_end|>\n' +
      '<|im_start|>user\nName a prime.<|im_end|>\n' +
      '<|im_start|>assistant\n<think>\nSmall primes: 2, 3, 5, 7.\n</think>\n\n7<|im_end|>\n',
  );
});

test('llama3 template: BOS once, headers, trimmed content, <|eot_id|>; it always appends the assistant header', () => {
  const llama = realTokenizer('llama3');
  const header = (role: string): string => `<|start_header_id|>${role}<|end_header_id|>\n\n`;
  const expected =
    '<|begin_of_text|>' +
    header('system') +
    'You are terse.<|eot_id|>' +
    header('user') +
    'What is 2+2?<|eot_id|>' +
    header('assistant') +
    '4.<|eot_id|>' +
    header('assistant');
  assert.equal(applyChatTemplate(llama, SINGLE), expected);
  assert.equal(applyChatTemplate(llama, SINGLE, { addGenerationPrompt: true }), expected);
  assert.equal(
    applyChatTemplate(llama, [{ role: 'user', content: '  padded \n' }], { addGenerationPrompt: true }),
    '<|begin_of_text|>' + header('user') + 'padded<|eot_id|>' + header('assistant'),
  );
  assert.equal(
    applyChatTemplate(llama, MULTI),
    '<|begin_of_text|>' +
      header('user') +
      'Hi!<|eot_id|>' +
      header('assistant') +
      'Hello. 你好！<|eot_id|>' +
      header('user') +
      'Name a prime.<|eot_id|>' +
      header('assistant') +
      '7<|eot_id|>' +
      header('assistant'),
  );
});

test('plain ChatML template: multi-turn and generation prompt', () => {
  const chatml = realTokenizerWithConfig('qwen3', { chat_template: CHATML_TEMPLATE });
  const expected =
    '<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\nHello. 你好！<|im_end|>\n' +
    '<|im_start|>user\nName a prime.<|im_end|>\n<|im_start|>assistant\n7<|im_end|>\n';
  assert.equal(applyChatTemplate(chatml, MULTI), expected);
  assert.equal(
    applyChatTemplate(chatml, MULTI.slice(0, 3), { addGenerationPrompt: true }),
    expected.slice(0, expected.lastIndexOf('7<|im_end|>')),
  );
});

test('Qwen2.5 template: default system prompt when none is given, tools through extra', () => {
  const qwen25 = realTokenizerWithConfig('qwen3', { chat_template: QWEN25_TEMPLATE });
  const defaultSystem = '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n';
  assert.equal(
    applyChatTemplate(qwen25, MULTI.slice(0, 1), { addGenerationPrompt: true }),
    defaultSystem + '<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n',
  );
  assert.equal(
    applyChatTemplate(qwen25, SINGLE),
    '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4.<|im_end|>\n',
  );
  const tool = { type: 'function', function: { name: 'add', parameters: {} } };
  const withTools = applyChatTemplate(qwen25, MULTI.slice(0, 1), { extra: { tools: [tool] } });
  assert.ok(withTools.startsWith('<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n'));
  assert.ok(withTools.includes('"name": "add"'), withTools);
});

test('template selection by name; missing templates and raise_exception become ChatTemplateError', () => {
  const qwen = realTokenizer('qwen3');
  const named = realTokenizerWithConfig('qwen3', {
    chat_template: [
      { name: 'default', template: '{{ bos_token is defined }}|{{ eos_token }}|{{ messages | length }}' },
      {
        name: 'strict',
        template: "{% if messages[0]['role'] != 'user' %}{{ raise_exception('first message must be from the user') }}{% endif %}ok",
      },
    ],
  });
  assert.equal(applyChatTemplate(named, SINGLE), 'false|<|im_end|>|3');
  assert.equal(applyChatTemplate(named, MULTI, { templateName: 'strict' }), 'ok');
  assert.throws(
    () => applyChatTemplate(named, SINGLE, { templateName: 'strict' }),
    (e: unknown) => e instanceof ChatTemplateError && e.templateName === 'strict' && /first message must be from the user/.test(e.message),
  );
  assert.throws(
    () => applyChatTemplate(named, SINGLE, { templateName: 'tool_use' }),
    (e: unknown) => e instanceof ChatTemplateError && /available: "default", "strict"/.test(e.message),
  );
  assert.equal(selectChatTemplate(qwen).name, 'default');
  const none = realTokenizerWithConfig('qwen3', { chat_template: null });
  assert.throws(() => applyChatTemplate(none, SINGLE), /no default chat template/);
  const broken = realTokenizerWithConfig('qwen3', { chat_template: '{% for m in messages %}{{ m.content }' });
  assert.throws(
    () => applyChatTemplate(broken, SINGLE),
    (e: unknown) => e instanceof ChatTemplateError && /parse/.test(e.message),
  );
  assert.throws(() => applyChatTemplate(qwen, [{ role: 'user' } as unknown as ChatMessage]), /message 0 \(user\) needs a string "content"/);
});
