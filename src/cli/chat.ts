// `posttrain chat --model DIR [--system "..."]`: an interactive conversation in the terminal. Each
// user line is added to the conversation, rendered with the chat template, and the reply streams
// token by token as it is sampled. /reset clears the conversation, /exit (or end of input) quits.
import { createInterface } from 'node:readline';
import { generate } from '../generation/index.js';
import { applyChatTemplate, type ChatMessage } from '../tokenizer/index.js';
import { defineSchema, type ConfigOf } from '../common/schema.js';
import { command } from './args.js';
import { loadForGeneration, samplingOptions, SAMPLING_FIELDS } from './model_io.js';

export const CHAT_SCHEMA = defineSchema({
  model: { type: 'string', default: null, required: true, doc: 'the model folder' },
  system: { type: 'string', default: null, nullable: true, doc: 'a system prompt at the start of the conversation' },
  ...SAMPLING_FIELDS,
});

export const chatCommand = command({
  summary: 'interactive chat with a model folder, tokens streamed as they are sampled (/reset starts over, /exit quits)',
  schema: CHAT_SCHEMA,
  run: async (c) => {
    await chat(c);
    return 0;
  },
});

async function chat(c: ConfigOf<typeof CHAT_SCHEMA>): Promise<void> {
  const system = c.system;
  const loaded = loadForGeneration(c.model, c.device);
  const sampling = samplingOptions(c, loaded.defaults);
  const { model, tokenizer, eosTokenIds } = loaded;
  const tty = process.stdin.isTTY === true;
  const fresh = (): ChatMessage[] => (system ? [{ role: 'system', content: system }] : []);
  let messages = fresh();
  let seed = sampling.seed;
  const rl = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty });
  if (tty) process.stdout.write('posttrain chat — /reset to start over, /exit to quit\n');
  const ask = () => {
    if (tty) process.stdout.write('\nyou> ');
  };
  ask();
  try {
    for await (const line of rl) {
      const text = line.trim();
      if (text === '/exit') break;
      if (text === '/reset') {
        messages = fresh();
        if (tty) process.stdout.write('(conversation cleared)\n');
        ask();
        continue;
      }
      if (text === '') {
        ask();
        continue;
      }
      messages.push({ role: 'user', content: text });
      const prompt = tokenizer.encode(applyChatTemplate(tokenizer, messages, { addGenerationPrompt: true }));
      const stream = tokenizer.streamDecoder({ skipSpecialTokens: true });
      process.stdout.write(tty ? 'assistant> ' : '');
      const [c] = generate(model, [prompt], {
        ...sampling,
        seed: seed++,
        eosTokenIds,
        padTokenId: eosTokenIds[0] ?? 0,
        onTokens: (step) => {
          for (const s of step) if (!eosTokenIds.includes(s.token)) process.stdout.write(stream.push(s.token));
        },
      });
      process.stdout.write(stream.flush() + '\n');
      const reply = tokenizer.decode(
        c!.tokens.filter((t) => !eosTokenIds.includes(t)),
        { skipSpecialTokens: true },
      );
      messages.push({ role: 'assistant', content: reply });
      ask();
    }
  } finally {
    rl.close();
    model.dispose();
  }
}
