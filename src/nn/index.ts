// Neural-network building blocks with Hugging Face parameter paths.
export * from './module.js';
export * from './layers.js';
export * from './rope.js';
export * from './attention.js';
export * from './kv_cache.js';
