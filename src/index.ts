// posttrain's library surface: the tensor engine, optimizers, nn building blocks, models with
// Hugging Face checkpoints, tokenizers with chat templates, and generation.
export * from './tensor/index.js';
export * from './optim/index.js';
export * from './nn/index.js';
export * from './checkpoint/index.js';
export * from './models/index.js';
export * from './models/lora.js';
export * from './tokenizer/index.js';
export * from './generation/index.js';
