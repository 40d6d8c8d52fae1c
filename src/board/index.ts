/**
 * The one board builder (device tree -> MDIO buses, PHYs, PSE controllers, I2C chips) for the daemon, the
 * scenario runner and replay. Its own folder, not src/bindings: bindings say what nodes mean; this composes
 * the models (src/phy, src/pse, src/i2c) from that meaning. Pure: no fs, no net.
 */
export {
  buildBoard,
  PSE_DRIVER_MODULES,
  type Board,
  type BoardMdioBus,
  type BoardOptions,
  type BoardPhy,
  type BoardPse,
} from './board.js';
export {
  buildI2cBuses,
  EEPROM_CONTENTS_PROPERTY,
  type BoardI2cBus,
  type BoardI2cDevice,
} from './i2c-devices.js';
export { BoardError, BoardErrorCode, type BoardErrorCodeValue } from './errors.js';
export { DEFAULT_PHY_ID } from '../bindings/mdio.js';
