export * from './pse.js';
