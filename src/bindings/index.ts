export * from './pse.js';
export * from './mdio.js';
export { BindingError } from './errors.js';
export * from './usb-i2c.js';
