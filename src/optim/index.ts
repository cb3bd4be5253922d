// Optimizers over parameter lists or groups, with state dicts for exact resume.
export * from './optimizer.js';
export * from './adamw.js';
export * from './sgd.js';
export * from './schedule.js';
export * from './grad_scaler.js';
