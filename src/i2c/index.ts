export * from './bus.js';
export * from './smbus.js';
export * from './eeprom-24c02.js';
