export * from './pse.js';
export * from './mdio.js';
