// The tokenizer layer: HF tokenizer.json loading and streaming decode, chat templates with
// assistant masks, and byte-level BPE training for from-scratch models.
export {
  Tokenizer,
  TokenizerError,
  DEFAULT_TEMPLATE_NAME,
  type JsonObject,
  type TokenizerExtras,
  type EncodeOptions,
  type DecodeOptions,
} from './tokenizer.js';
export { StreamDecoder } from './stream_decoder.js';
export {
  applyChatTemplate,
  renderChatForTraining,
  renderTemplateSource,
  selectChatTemplate,
  ChatTemplateError,
  type ChatMessage,
  type ChatTemplateOptions,
  type TrainingRenderOptions,
  type TrainingRender,
  type SelectedTemplate,
} from './chat_template.js';
export { detectEndOfTurnTokens, markGenerationBlocks, type CharSpan } from './assistant_spans.js';
export {
  trainByteLevelBpe,
  makeTokenizerConfig,
  LLAMA3_SPLIT_PATTERN,
  STEP_SPLIT_PATTERN,
  CHATML_TEMPLATE,
  CHATML_SPECIAL_TOKENS,
  type BpeTrainOptions,
  type TokenizerConfigOptions,
} from './bpe_trainer.js';
export { BYTE_TO_CHAR, bytesToByteLevel, byteLevelToBytes } from './byte_level.js';
