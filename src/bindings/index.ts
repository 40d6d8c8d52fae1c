export * from './pse.js';
export * from './mdio.js';
export { BindingError } from './errors.js';
