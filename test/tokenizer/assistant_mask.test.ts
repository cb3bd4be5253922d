import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyChatTemplate,
  ChatTemplateError,
  CHATML_TEMPLATE,
  renderChatForTraining,
  markGenerationBlocks,
  type ChatMessage,
  type Tokenizer,
} from '../../src/tokenizer/index.js';
import { GENERATION_CHATML_TEMPLATE, maskedRuns, QWEN25_TEMPLATE, realTokenizer, realTokenizerWithConfig } from './real_tokenizers.js';

const CONVERSATION: ChatMessage[] = [
  { role: 'system', content: 'You answer briefly.' },
  { role: 'user', content: 'Hi! Who are you?' },
  { role: 'assistant', content: 'An assistant. 你好！😀' },
  { role: 'user', content: 'Add 2 and 3.' },
  { role: 'assistant', content: '2 + 3 = 5.\nDone.' },
  { role: 'user', content: 'Thanks. مرحبا' },
  { role: 'assistant', content: 'De rien — à bientôt.' },
];
const CONTENTS = CONVERSATION.filter((m) => m.role === 'assistant').map((m) => m.content);

/** Common checks: ids encode the template's text, the mask covers exactly `expectedRuns`, and the
 *  first token after each masked run is not masked (what follows the end-of-turn token). */
function checkMask(tokenizer: Tokenizer, messages: ChatMessage[], expectedRuns: string[], extra?: Record<string, unknown>): void {
  const result = renderChatForTraining(tokenizer, messages, extra === undefined ? {} : { extra });
  const options = extra === undefined ? {} : { extra };
  assert.equal(result.text, applyChatTemplate(tokenizer, messages, options));
  assert.deepEqual(result.ids, tokenizer.encode(result.text));
  assert.equal(result.assistantMask.length, result.ids.length);
  assert.ok(result.assistantMask.every((m) => m === 0 || m === 1));
  assert.deepEqual(maskedRuns(tokenizer, result.ids, result.assistantMask), expectedRuns);
  assert.deepEqual(
    result.spans.map((s) => result.text.slice(s.start, s.end)),
    expectedRuns,
  );
}

test('Llama-3: each assistant turn masks its content and <|eot_id|>, not the header', () => {
  const llama = realTokenizer('llama3');
  checkMask(
    llama,
    CONVERSATION,
    CONTENTS.map((c) => `${c}<|eot_id|>`),
  );
  const result = renderChatForTraining(llama, CONVERSATION);
  assert.equal(result.method, 'prefix-renders');
  // The header tokens right before each run are unmasked.
  const eot = llama.tokenToId('<|eot_id|>')!;
  const header = llama.tokenToId('<|end_header_id|>')!;
  result.ids.forEach((id, i) => {
    if (id === header) assert.equal(result.assistantMask[i], 0);
    if (result.assistantMask[i] === 1 && id === eot) assert.equal(result.assistantMask[i + 1] ?? 0, 0);
  });
  // Three assistant <|eot_id|> are masked, the system and user ones are not.
  assert.equal(result.ids.filter((id, i) => id === eot && result.assistantMask[i] === 1).length, 3);
  assert.equal(result.ids.filter((id, i) => id === eot && result.assistantMask[i] === 0).length, 4);
});

test('Qwen3: <|im_end|> is trained, the newline after it is not; the last turn trains its think block', () => {
  const qwen = realTokenizer('qwen3');
  checkMask(qwen, CONVERSATION, [
    `${CONTENTS[0]}<|im_end|>`,
    `${CONTENTS[1]}<|im_end|>`,
    `<think>\n\n</think>\n\n${CONTENTS[2]}<|im_end|>`,
  ]);
  const result = renderChatForTraining(qwen, CONVERSATION);
  const imEnd = qwen.tokenToId('<|im_end|>')!;
  result.ids.forEach((id, i) => {
    if (id === imEnd && result.assistantMask[i] === 1) {
      assert.equal(qwen.decode([result.ids[i + 1]!]), '\n');
      assert.equal(result.assistantMask[i + 1], 0);
    }
  });
});

test('Qwen3: enable_thinking=false puts the empty think block in the prompt; reasoning_content is trained', () => {
  const qwen = realTokenizer('qwen3');
  checkMask(
    qwen,
    CONVERSATION,
    CONTENTS.map((c) => `${c}<|im_end|>`),
    { enable_thinking: false },
  );
  const withReasoning = [...CONVERSATION.slice(0, 6), { role: 'assistant', content: 'Bye.', reasoning_content: 'They said thanks.' }];
  checkMask(qwen, withReasoning, [
    `${CONTENTS[0]}<|im_end|>`,
    `${CONTENTS[1]}<|im_end|>`,
    '<think>\nThey said thanks.\n</think>\n\nBye.<|im_end|>',
  ]);
});

test('Qwen2.5 template (default system prompt) and plain ChatML mask every assistant turn', () => {
  const expected = CONTENTS.map((c) => `${c}<|im_end|>`);
  checkMask(realTokenizerWithConfig('qwen3', { chat_template: QWEN25_TEMPLATE }), CONVERSATION.slice(1), expected);
  checkMask(realTokenizerWithConfig('qwen3', { chat_template: QWEN25_TEMPLATE }), CONVERSATION, expected);
  checkMask(realTokenizerWithConfig('qwen3', { chat_template: CHATML_TEMPLATE }), CONVERSATION, expected);
  checkMask(
    realTokenizerWithConfig('llama3', {
      chat_template: CHATML_TEMPLATE.replaceAll('<|im_end|>', '<|eot_id|>').replaceAll('<|im_start|>', '<|start_header_id|>'),
    }),
    CONVERSATION,
    CONTENTS.map((c) => `${c}<|eot_id|>`),
  );
});

test('{% generation %} markers: the mask is exactly the text inside the blocks', () => {
  const qwen = realTokenizerWithConfig('qwen3', { chat_template: GENERATION_CHATML_TEMPLATE });
  const result = renderChatForTraining(qwen, CONVERSATION);
  assert.equal(result.method, 'generation-markers');
  checkMask(
    qwen,
    CONVERSATION,
    CONTENTS.map((c) => `${c}<|im_end|>`),
  );
  // Same text as the marker-free ChatML template.
  assert.equal(result.text, applyChatTemplate(realTokenizerWithConfig('qwen3', { chat_template: CHATML_TEMPLATE }), CONVERSATION));

  // Blocks that include the newline, with trim_blocks/lstrip_blocks-sensitive layout.
  const inline =
    '{% for m in messages %}{% if m.role == "assistant" %}A:\n  {% generation %}\n{{ m.content }}<|im_end|>\n{% endgeneration %}\n' +
    '{% else %}{{ m.role }}: {{ m.content }}\n{% endif %}{% endfor %}';
  const inlineTokenizer = realTokenizerWithConfig('qwen3', { chat_template: inline });
  checkMask(inlineTokenizer, CONVERSATION.slice(1, 5), [`${CONTENTS[0]}<|im_end|>\n`, `${CONTENTS[1]}<|im_end|>\n`]);
  assert.ok(!markGenerationBlocks(inline).includes('generation %}'));
});

test('non-NFC text uses the re-encoding fallback (Qwen normalizes to NFC) and still masks exactly', () => {
  const qwen = realTokenizer('qwen3');
  const decomposed = 'Cafe\u0301 and nai\u0308ve';
  const messages: ChatMessage[] = [
    { role: 'user', content: 'e\u0301?' },
    { role: 'assistant', content: decomposed },
  ];
  const result = renderChatForTraining(qwen, messages, { extra: { enable_thinking: false } });
  assert.notEqual(qwen.decode(result.ids), result.text, 'the normalizer changed the text, so byte offsets cannot be used');
  assert.deepEqual(maskedRuns(qwen, result.ids, result.assistantMask), [`${decomposed.normalize('NFC')}<|im_end|>`]);
});

test('a conversation without assistant turns has an all-zero mask', () => {
  const result = renderChatForTraining(realTokenizer('llama3'), CONVERSATION.slice(0, 2));
  assert.ok(result.ids.length > 10);
  assert.ok(result.assistantMask.every((m) => m === 0));
});

test('templates without an end-of-turn token: the turn and its separator, up to the next message', () => {
  const template =
    '{% for m in messages %}{{ m.role | upper }}:\n{{ m.content }}\n\n{% endfor %}{% if add_generation_prompt %}ASSISTANT:\n{% endif %}';
  const plain = realTokenizerWithConfig('qwen3', { chat_template: template, eos_token: null });
  checkMask(plain, CONVERSATION.slice(1, 5), [`${CONTENTS[0]}\n\n`, `${CONTENTS[1]}\n\n`]);
});

test('a boundary inside a token is an error, not a guess', () => {
  // The generation prompt ends with a space that the tokenizer merges into the content's first word.
  const template =
    '{% for m in messages %}{{ m.role }}: {{ m.content }}<|im_end|>{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}';
  const tokenizer = realTokenizerWithConfig('qwen3', { chat_template: template });
  assert.throws(
    () => renderChatForTraining(tokenizer, CONVERSATION.slice(1, 3)),
    (e: unknown) => e instanceof ChatTemplateError && /assistant message 1 start .* falls inside a token/s.test(e.message),
  );
});

test('templates whose earlier turns depend on later messages are refused with the turn named', () => {
  // Renders every message with the total count: prefixes are never prefixes of the whole.
  const template =
    '{% for m in messages %}[{{ messages | length }}]{{ m.content }}<|im_end|>{% endfor %}{% if add_generation_prompt %}[gen]{% endif %}';
  const tokenizer = realTokenizerWithConfig('qwen3', { chat_template: template });
  assert.throws(
    () => renderChatForTraining(tokenizer, CONVERSATION.slice(1, 3)),
    (e: unknown) => e instanceof ChatTemplateError && /assistant message 1: rendering the 1 messages before it/.test(e.message),
  );
});
