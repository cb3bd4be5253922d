import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamDecoder } from '../../src/tokenizer/index.js';
import { realTokenizer, type RealModel } from './real_tokenizers.js';

const TEXT = '流式解码：你好，世界！😀👍🏽👨‍👩‍👧 東京タワー ありがとう。Ελληνικά ok 🦜🦜 末尾の文字';

for (const model of ['qwen3', 'llama3'] as RealModel[]) {
  test(`${model}: streaming Chinese/emoji token by token equals decode(all) and never prints U+FFFD`, () => {
    const tokenizer = realTokenizer(model);
    const ids = tokenizer.encode(TEXT);
    const partial = ids.filter((id) => tokenizer.decode([id]).includes('\uFFFD'));
    assert.ok(partial.length > 0, 'the text must contain tokens that end inside a UTF-8 character');

    const stream = tokenizer.streamDecoder();
    const pieces: string[] = [];
    let heldBack = 0;
    for (const id of ids) {
      const piece = stream.push(id);
      assert.ok(!piece.includes('\uFFFD'), `U+FFFD printed mid-stream: ${JSON.stringify(piece)}`);
      if (piece === '') heldBack++;
      pieces.push(piece);
    }
    pieces.push(stream.flush());
    assert.ok(heldBack > 0, 'some tokens were held back until their character completed');
    assert.equal(pieces.join(''), tokenizer.decode(ids));
    assert.equal(pieces.join(''), TEXT);
    assert.equal(stream.text, TEXT);
  });
}

test('flush() emits an incomplete trailing character the way decode() does', () => {
  const llama = realTokenizer('llama3');
  const ids = llama.encode('ok 🦜'); // ok, ' '+2 bytes, 1 byte, 1 byte
  assert.equal(ids.length, 4);
  const cut = ids.slice(0, -1); // the parrot's last byte is missing
  const stream = llama.streamDecoder();
  const printed = cut.map((id) => stream.push(id)).join('');
  assert.equal(printed, 'ok', 'the incomplete emoji is held back');
  const rest = stream.flush();
  assert.equal(printed + rest, llama.decode(cut));
  assert.ok(rest.includes('\uFFFD'));
  assert.equal(stream.flush(), '', 'a second flush has nothing left');
});

test('streaming with special tokens, kept or skipped, matches decode of the whole', () => {
  const qwen = realTokenizer('qwen3');
  const ids = qwen.encode('<|im_start|>assistant\n<think>\n\n</think>\n\n答案是42。🎉<|im_end|>');
  for (const skipSpecialTokens of [false, true]) {
    const stream = qwen.streamDecoder({ skipSpecialTokens });
    const text = ids.map((id) => stream.push(id)).join('') + stream.flush();
    assert.equal(text, qwen.decode(ids, { skipSpecialTokens }));
  }
});

test('StreamDecoder works over any decode function and keeps only a short window', () => {
  const calls: number[] = [];
  const bytes = new TextEncoder().encode('añ€😀');
  const decoder = new TextDecoder();
  const stream = new StreamDecoder((ids) => {
    calls.push(ids.length);
    return decoder.decode(Uint8Array.from(ids.map((i) => bytes[i]!)));
  });
  const out = [...bytes.keys()].map((i) => stream.push(i));
  assert.deepEqual(out, ['a', '', 'ñ', '', '', '€', '', '', '', '😀']);
  // Context is the chunk emitted last ('€', 3 bytes) plus the pending bytes (4): never all 10.
  assert.equal(Math.max(...calls), 7);
});
