export * from './errors.js';
export * from './events.js';
export * from './plugin.js';
export * from './principal.js';
