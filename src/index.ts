// posttrain's library surface: the tensor engine and the optimizers. Later layers (models,
// data, trainers) are added here as they land.
export * from './tensor/index.js';
export * from './optim/index.js';
