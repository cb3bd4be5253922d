// posttrain's library surface (`import * as pt from 'posttrain'`): the tensor engine, optimizers, nn
// building blocks, models with Hugging Face checkpoints, tokenizers with chat templates, generation
// and chat backends, data, configs, rewards, trainers, reasoning data, evaluation, annotation,
// recipes, the OpenAI-compatible client and server. Everything the README names is importable here.
export * from './tensor/index.js';
export * from './optim/index.js';
export * from './nn/index.js';
export * from './checkpoint/index.js';
export * from './models/index.js';
export * from './models/lora.js';
export * from './tokenizer/index.js';
export * from './generation/index.js';
export * from './data/index.js';
export { openChatBackend, isUrl, type ChatBackend } from './generation/chat_backend.js';
export * from './common/schema.js';
export { OptionError, checkOptions, suggestOption, type OptionSpec, type OptionSpecs, type OptionType } from './common/options.js';
export * from './rewards/index.js';
export * from './trainers/index.js';
export * from './datagen/index.js';
export * from './eval/index.js';
export * from './annotate/index.js';
export * from './recipes/index.js';
export { RemoteModel, type RemoteOptions, type SamplingParams } from './remote/client.js';
export { startServer, type ServeOptions, type RunningServer } from './serve/server.js';
export { loadRewardModel } from './models/reward_model.js';
