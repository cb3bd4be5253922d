// Chat templates: render a conversation to the exact text a model was trained on, with the model's
// own Jinja template (tokenizer_config.json / chat_template.jinja) run by @huggingface/jinja with
// the variables transformers' apply_chat_template passes (messages, add_generation_prompt, the
// special tokens, raise_exception, strftime_now; tools and the like through `extra`).
// renderChatForTraining also returns the assistant loss mask: 1 on the tokens the model must learn
// to produce (assistant content and its end-of-turn token), 0 on everything else. How the mask is
// derived is in assistant_spans.ts; this file chooses the template and renders.
import { Template } from '@huggingface/jinja';
import { DEFAULT_TEMPLATE_NAME, type Tokenizer } from './tokenizer.js';
import {
  detectEndOfTurnTokens,
  hasGenerationMarkers,
  spansFromGenerationMarkers,
  spansFromPrefixRenders,
  tokenMaskFromCharSpans,
  type CharSpan,
} from './assistant_spans.js';

import type { ChatMessage } from './messages.js';
export type { ChatMessage };

export interface ChatTemplateOptions {
  /** Append the header that opens an assistant turn. Default false. */
  addGenerationPrompt?: boolean;
  /** One of tokenizer.chatTemplates' names; default: the unnamed/"default" template. */
  templateName?: string;
  /** More template variables (tools, documents, enable_thinking, ...); they override ours. */
  extra?: Record<string, unknown>;
}

export interface TrainingRenderOptions {
  templateName?: string;
  extra?: Record<string, unknown>;
  /** Token strings that close an assistant turn (default: found by rendering a probe
   *  conversation: the first special token the template writes after assistant content). */
  endOfTurnTokens?: string[];
}

export interface TrainingRender {
  /** Token ids of the rendered conversation (no extra special tokens added). */
  ids: number[];
  /** 1 where the token belongs to an assistant turn's content or end-of-turn token. */
  assistantMask: number[];
  /** The rendered text that `ids` encodes. */
  text: string;
  /** Character spans of `text` that the mask covers, one per masked assistant turn. */
  spans: CharSpan[];
  /** How the spans were found. */
  method: 'generation-markers' | 'prefix-renders';
}

/** Failure to select, parse or render a chat template, or to derive an assistant mask. */
export class ChatTemplateError extends Error {
  readonly templateName: string;
  readonly detail: string;
  /** The file the template came from, when known (its parse and render errors name it first). */
  readonly file: string | undefined;
  constructor(templateName: string, detail: string, file?: string) {
    super(`${file === undefined ? '' : `${file}: `}chat template "${templateName}": ${detail}`);
    this.file = file;
    this.templateName = templateName;
    this.detail = detail;
    this.name = new.target.name;
  }
}

export interface SelectedTemplate {
  name: string;
  source: string;
}

/** The template to use: the named one, else "default", else the only one there is. */
export function selectChatTemplate(tokenizer: Tokenizer, templateName?: string): SelectedTemplate {
  const templates = tokenizer.chatTemplates;
  const available = [...templates.keys()].map((n) => `"${n}"`).join(', ') || 'none';
  if (templateName !== undefined) {
    const source = templates.get(templateName);
    if (source === undefined) {
      throw new ChatTemplateError(templateName, `not found in ${tokenizer.source} (available: ${available})`);
    }
    return { name: templateName, source };
  }
  const source = templates.get(DEFAULT_TEMPLATE_NAME) ?? (templates.size === 1 ? [...templates.values()][0] : undefined);
  if (source === undefined) {
    throw new ChatTemplateError(
      DEFAULT_TEMPLATE_NAME,
      `${tokenizer.source} has no default chat template (tokenizer_config.json "chat_template" or chat_template.jinja; available: ${available})`,
    );
  }
  return { name: templates.has(DEFAULT_TEMPLATE_NAME) ? DEFAULT_TEMPLATE_NAME : [...templates.keys()][0]!, source };
}

const compiledTemplates = new Map<string, Template>();

function compile(name: string, source: string, file: string): Template {
  let template = compiledTemplates.get(source);
  if (template === undefined) {
    try {
      template = new Template(source);
    } catch (e) {
      throw new ChatTemplateError(name, `does not parse: ${(e as Error).message}`, file);
    }
    if (compiledTemplates.size > 64) compiledTemplates.clear();
    compiledTemplates.set(source, template);
  }
  return template;
}

/** Render `source` (a Jinja chat template) with transformers' variables. */
export function renderTemplateSource(
  tokenizer: Tokenizer,
  name: string,
  source: string,
  messages: readonly ChatMessage[],
  addGenerationPrompt: boolean,
  extra: Record<string, unknown> = {},
): string {
  checkMessages(name, messages);
  const variables: Record<string, unknown> = {
    messages: messages.map((m) => ({ ...m })),
    add_generation_prompt: addGenerationPrompt,
    // raise_exception(msg) and strftime_now(fmt) are globals of @huggingface/jinja already (it
    // refuses to redeclare them); raise_exception's message reaches the ChatTemplateError below.
  };
  const specials: Array<[string, string | undefined]> = [
    ['bos_token', tokenizer.bosToken],
    ['eos_token', tokenizer.eosToken],
    ['pad_token', tokenizer.padToken],
    ['unk_token', tokenizer.unkToken],
  ];
  for (const [key, value] of specials) if (value !== undefined) variables[key] = value;
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) variables[key] = value;
  try {
    return compile(name, source, tokenizer.chatTemplateFile(name)).render(variables);
  } catch (e) {
    if (e instanceof ChatTemplateError) throw e;
    throw new ChatTemplateError(
      name,
      `rendering ${messages.length} message(s) failed: ${(e as Error).message}`,
      tokenizer.chatTemplateFile(name),
    );
  }
}

/** transformers' apply_chat_template(messages, tokenize=False). */
export function applyChatTemplate(tokenizer: Tokenizer, messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
  const { name, source } = selectChatTemplate(tokenizer, options.templateName);
  return renderTemplateSource(tokenizer, name, source, messages, options.addGenerationPrompt ?? false, options.extra);
}

/**
 * Render a conversation for supervised training: token ids and the assistant mask.
 * - Templates with {% generation %}...{% endgeneration %} blocks (transformers'
 *   return_assistant_tokens_mask convention): the mask is exactly the text inside the blocks.
 * - Other templates: each assistant turn k starts where render(messages[:k],
 *   add_generation_prompt=true) ends (the assistant header is not trained) and ends just after
 *   the first end-of-turn token that follows (e.g. <|im_end|>, <|eot_id|>; a newline after it is
 *   not trained). A template that writes no special token after assistant content gets the turn up
 *   to where the next message begins (its separator is its stop signal). Turns must render the
 *   same inside the whole conversation as in its prefixes.
 * In both cases the span boundaries must fall on token boundaries of the encoded text; if the
 * tokenizer merges text across a boundary a ChatTemplateError says where, rather than guess.
 * Qwen3: its template writes "<think>\n\n</think>\n\n" (or the reasoning) before the content of
 * assistant turns after the last user message, and drops reasoning from earlier turns. Those think
 * blocks are part of what the model generates after "<|im_start|>assistant\n", so they are trained;
 * with extra {enable_thinking: false} the empty think block belongs to the prompt and is not.
 */
export function renderChatForTraining(
  tokenizer: Tokenizer,
  messages: readonly ChatMessage[],
  options: TrainingRenderOptions = {},
): TrainingRender {
  const { name, source } = selectChatTemplate(tokenizer, options.templateName);
  const fail = (detail: string): never => {
    throw new ChatTemplateError(name, detail);
  };
  let text: string;
  let spans: CharSpan[];
  let method: TrainingRender['method'];
  if (hasGenerationMarkers(source)) {
    method = 'generation-markers';
    ({ text, spans } = spansFromGenerationMarkers(
      source,
      (markedSource, msgs) => renderTemplateSource(tokenizer, name, markedSource, msgs, false, options.extra),
      messages,
      fail,
    ));
  } else {
    method = 'prefix-renders';
    const render = (msgs: readonly ChatMessage[], addGenerationPrompt: boolean): string =>
      renderTemplateSource(tokenizer, name, source, msgs, addGenerationPrompt, options.extra);
    const closers = options.endOfTurnTokens ?? cachedEndOfTurnTokens(tokenizer, source, options.extra, render);
    ({ text, spans } = spansFromPrefixRenders(tokenizer, render, messages, fail, closers));
  }
  const ids = tokenizer.encode(text);
  const assistantMask = tokenMaskFromCharSpans(tokenizer, text, ids, spans, fail);
  return { ids, assistantMask, text, spans, method };
}

const endOfTurnCache = new WeakMap<Tokenizer, Map<string, string[]>>();

function cachedEndOfTurnTokens(
  tokenizer: Tokenizer,
  source: string,
  extra: Record<string, unknown> | undefined,
  render: (messages: readonly ChatMessage[], addGenerationPrompt: boolean) => string,
): string[] {
  let byTemplate = endOfTurnCache.get(tokenizer);
  if (byTemplate === undefined) endOfTurnCache.set(tokenizer, (byTemplate = new Map()));
  const key = `${source}\u0000${JSON.stringify(extra ?? {})}`;
  let closers = byTemplate.get(key);
  if (closers === undefined) byTemplate.set(key, (closers = detectEndOfTurnTokens(tokenizer, render)));
  return closers;
}

function checkMessages(name: string, messages: readonly ChatMessage[]): void {
  if (!Array.isArray(messages)) throw new ChatTemplateError(name, 'messages must be a list of {role, content}');
  messages.forEach((m, i) => {
    if (typeof m !== 'object' || m === null || typeof m.role !== 'string') {
      throw new ChatTemplateError(name, `message ${i} needs a string "role"`);
    }
    if (typeof m.content !== 'string' && !Array.isArray(m.content) && m.content !== null) {
      throw new ChatTemplateError(name, `message ${i} (${m.role}) needs a string "content"`);
    }
  });
}
