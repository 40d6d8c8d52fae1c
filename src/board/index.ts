/**
 * The one way from a device tree to running hardware, for every user: the socket daemon, the scenario engine
 * (with the kernel model or a QEMU guest), replay and the CLI. `load.ts` reads DTS (through the preprocessor)
 * or DTB files; `board.ts` composes the models (src/phy, src/pse, src/i2c, src/usbredir devices) the tree
 * describes and carries out the one action vocabulary (`actions.ts`) with one typed event stream
 * (`events.ts`). Only load.ts touches the file system.
 *
 *   const { tree } = loadTreeFile('board.dts');
 *   const board = buildBoard(tree, { clock: new VirtualClock() });
 *   board.events.on((e) => { if (e.type === 'mdio.read') ... });
 *   board.apply({ kind: 'cable-unplug', phy: '/mdio/ethernet-phy@1' });
 */
export {
  Board,
  boardMs,
  buildBoard,
  LINK_PARTNER_PROPERTY,
  PSE_DRIVER_MODULES,
  type BoardMdioBus,
  type BoardOptions,
  type BoardPhy,
  type BoardPse,
  type GuestPort,
} from './board.js';
export {
  ACTION_SIDE,
  describeAction,
  isHardwareAction,
  type Action,
  type ActionKind,
  type ActionSide,
  type GuestAction,
  type HardwareAction,
} from './actions.js';
export type { BoardEvent, BoardEventType } from './events.js';
export {
  loadDtb,
  loadTreeFile,
  loadTreeText,
  isFragment,
  type LoadedTree,
  type TreeLoadOptions,
} from './load.js';
export { driverEffects, moduleKey } from './pse-drivers.js';
export { boardVerifyTarget, type PhyHardwareEvent, type VerifyTargetOptions } from './verify-target.js';
export { PEER_IPV4_PROPERTY, PEER_MAC, type BoardUsbDevice } from './usb-devices.js';
export {
  MdioEmulation,
  createMdioEmulation,
  loadTree,
  type EmulationSource,
  type MdioEmulationOptions,
} from './emulation.js';
export {
  buildI2cBuses,
  CLASSIFICATION_MODE_PROPERTY,
  CLASSIFICATION_PROPERTY,
  EEPROM_CONTENTS_PROPERTY,
  type BoardI2cBus,
  type BoardI2cDevice,
} from './i2c-devices.js';
export { BoardError, BoardErrorCode, type BoardErrorCodeValue } from './errors.js';
export { DEFAULT_PHY_ID } from '../bindings/mdio.js';
