// An Example (formats.ts) → token ids and a loss mask. lossMask[i] = 1 marks a token the model is
// trained to PRODUCE (it becomes the target of position i-1; packing.ts makes the shift):
//   text               every token, plus EOS when addEos;
//   prompt/completion  (strings) the completion's tokens, plus EOS when addEos. The prompt and the
//                      completion are tokenized SEPARATELY and concatenated, so the boundary is
//                      exact and the prompt's tokens are those a generation call would see (the
//                      split at the boundary may differ from encode(prompt + completion));
//   messages           the assistant turns as renderChatForTraining marks them (content and the
//                      template's end-of-turn token, e.g. <|im_end|>; never the header);
//   prompt/completion  (conversational) rendered as one conversation; only the assistant turns of
//                      the completion are trained.
// lossOn 'all' sets every token to 1. EOS is not appended to chats: their end-of-turn token is the
// stop signal. BOS is prepended to text and string prompts when the tokenizer has one and its
// config does not say add_bos_token: false (chat templates write their own).
// Then the length limit: maxLength tokens at most; 'truncate' keeps the head, 'drop' drops the
// example; an example truncated to no trained token is dropped.
import {
  applyChatTemplate,
  ChatTemplateError,
  renderChatForTraining,
  type ChatMessage,
  type Tokenizer,
  type TrainingRender,
} from '../tokenizer/index.js';
import { tokenMaskFromCharSpans } from '../tokenizer/assistant_spans.js';
import { DataError, type RowSource } from './errors.js';
import type { Example } from './formats.js';

export type LossOn = 'completion' | 'all';
export type Truncation = 'drop' | 'truncate';

export interface TokenizedExample {
  ids: Int32Array;
  /** 1 = the model is trained to produce this token. Same length as ids. */
  lossMask: Uint8Array;
}

export interface TokenizeOptions {
  /** 'completion' (default): train on what the model must produce; 'all': on every token. */
  lossOn?: LossOn;
  /** Append EOS to text and string completions (unless already there). Default true. */
  addEos?: boolean;
  /** Prepend BOS to text and string prompts. Default: the tokenizer has a BOS token and its config
   *  does not set add_bos_token: false. */
  addBos?: boolean;
  /** Most tokens an example may have (pass seqLen + 1 to pack into rows of seqLen inputs). */
  maxLength?: number;
  /** What to do with a longer example. Default 'truncate' (keep the head), as TRL. */
  truncation?: Truncation;
  /** Chat template to use (tokenizer.chatTemplates name) and extra template variables. */
  templateName?: string;
  templateExtra?: Record<string, unknown>;
  /** Where the example came from, for DataErrors. */
  source?: RowSource;
}

/** tokenizeFull then fitLength: null when the example is dropped by the length limit. */
export function tokenizeExample(example: Example, tokenizer: Tokenizer, options: TokenizeOptions = {}): TokenizedExample | null {
  const fitted = fitLength(tokenizeFull(example, tokenizer, options), options.maxLength, options.truncation);
  return fitted === null ? null : { ids: fitted.ids, lossMask: fitted.lossMask };
}

/** Token ids and loss mask without a length limit. A DataError when no token would be trained. */
export function tokenizeFull(example: Example, tokenizer: Tokenizer, options: TokenizeOptions = {}): TokenizedExample {
  const source = options.source ?? { file: '(example)', line: 1 };
  const lossOn = options.lossOn ?? 'completion';
  if (lossOn !== 'completion' && lossOn !== 'all')
    throw new RangeError(`tokenizeExample: lossOn must be 'completion' or 'all', got ${JSON.stringify(lossOn)}`);
  let ids: number[];
  let mask: number[];
  switch (example.kind) {
    case 'text': {
      const bos = bosIds(tokenizer, options);
      const body = withEos(tokenizer.encode(example.text), tokenizer, options);
      ids = [...bos, ...body];
      mask = [...bos.map(() => 0), ...body.map(() => 1)];
      break;
    }
    case 'prompt_completion':
      if (typeof example.prompt === 'string' && typeof example.completion === 'string') {
        const prompt = [...bosIds(tokenizer, options), ...tokenizer.encode(example.prompt)];
        const completion = withEos(tokenizer.encode(example.completion), tokenizer, options);
        ids = [...prompt, ...completion];
        mask = [...prompt.map(() => 0), ...completion.map(() => 1)];
      } else if (Array.isArray(example.prompt) && Array.isArray(example.completion)) {
        ({ ids, mask } = renderConversation(tokenizer, example.prompt, example.completion, options, source));
      } else {
        throw new DataError(source.file, source.line, 'prompt and completion must both be strings or both be message lists');
      }
      break;
    case 'messages':
      ({ ids, mask } = renderConversation(tokenizer, [], example.messages, options, source));
      break;
  }
  if (lossOn === 'all') mask = mask.map(() => 1);
  if (!mask.some((m, i) => m === 1 && i > 0)) {
    throw new DataError(
      source.file,
      source.line,
      `nothing to train on: no token after the first is in the loss mask (${ids.length} tokens)`,
    );
  }
  return { ids: Int32Array.from(ids), lossMask: Uint8Array.from(mask) };
}

/** Applies the length limit; null = dropped. `truncated` says the head was kept. */
export function fitLength(
  example: TokenizedExample,
  maxLength: number | undefined,
  truncation: Truncation = 'truncate',
): (TokenizedExample & { truncated: boolean }) | null {
  if (truncation !== 'drop' && truncation !== 'truncate')
    throw new RangeError(`truncation must be 'drop' or 'truncate', got ${JSON.stringify(truncation)}`);
  if (maxLength === undefined || example.ids.length <= maxLength) return { ...example, truncated: false };
  if (!Number.isInteger(maxLength) || maxLength < 2) throw new RangeError(`maxLength must be an integer >= 2, got ${maxLength}`);
  if (truncation === 'drop') return null;
  const lossMask = example.lossMask.slice(0, maxLength);
  if (!lossMask.some((m, i) => m === 1 && i > 0)) return null;
  return { ids: example.ids.slice(0, maxLength), lossMask, truncated: true };
}

function bosIds(tokenizer: Tokenizer, options: TokenizeOptions): number[] {
  const id = tokenizer.bosTokenId;
  const add = options.addBos ?? (id !== undefined && tokenizer.tokenizerConfig['add_bos_token'] !== false);
  if (!add) return [];
  if (id === undefined) throw new RangeError(`tokenizeExample: addBos is set but ${tokenizer.source} has no bos_token`);
  return [id];
}

function withEos(ids: number[], tokenizer: Tokenizer, options: TokenizeOptions): number[] {
  if (options.addEos === false) return ids;
  const eos = tokenizer.eosTokenIds[0];
  if (eos === undefined) throw new RangeError(`tokenizeExample: ${tokenizer.source} has no eos_token; pass addEos: false`);
  return ids[ids.length - 1] === eos ? ids : [...ids, eos];
}

/** Renders prompt + trained messages as one chat; the mask covers the assistant turns of `trained`. */
function renderConversation(
  tokenizer: Tokenizer,
  prompt: ChatMessage[],
  trained: ChatMessage[],
  options: TokenizeOptions,
  source: RowSource,
): { ids: number[]; mask: number[] } {
  const messages = [...prompt, ...trained];
  const renderOptions = { templateName: options.templateName, extra: options.templateExtra };
  const fail = (detail: string): never => {
    throw new DataError(source.file, source.line, `chat template: ${detail}`);
  };
  try {
    return maskedRender(tokenizer, prompt, renderChatForTraining(tokenizer, messages, renderOptions), renderOptions, fail);
  } catch (e) {
    if (e instanceof ChatTemplateError) return fail(e.message);
    throw e;
  }
}

function maskedRender(
  tokenizer: Tokenizer,
  prompt: ChatMessage[],
  render: TrainingRender,
  renderOptions: { templateName?: string; extra?: Record<string, unknown> },
  fail: (detail: string) => never,
): { ids: number[]; mask: number[] } {
  if (prompt.length === 0 || !prompt.some((m) => m.role === 'assistant')) return { ids: render.ids, mask: render.assistantMask };
  // Assistant turns inside the prompt are context, not targets: keep the completion's spans only.
  // Prefix renders know each span's message; generation-marker spans are split where the prompt's
  // own rendering ends.
  let boundary: number | undefined;
  const inCompletion = (span: { start: number; turn?: number }): boolean => {
    if (span.turn !== undefined) return span.turn >= prompt.length;
    if (boundary === undefined) {
      const promptText = applyChatTemplate(tokenizer, prompt, renderOptions);
      if (!render.text.startsWith(promptText))
        fail('the prompt renders differently alone than inside the conversation; cannot tell its turns from the completion');
      boundary = promptText.length;
    }
    return span.start >= boundary;
  };
  const spans = render.spans.filter(inCompletion);
  return { ids: render.ids, mask: tokenMaskFromCharSpans(tokenizer, render.text, render.ids, spans, fail) };
}
