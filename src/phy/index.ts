/**
 * PHY models. Every model is an `MdioDevice` (attach it to an `MdioBus`) and a `Phy`:
 *
 *   const phy = createPhy(0x001cc916, { clock, trace, name: '/mdio/ethernet-phy@1' }); // RTL8211F
 *   phy.setPartner(GIGABIT_SWITCH_PORT);   // link partner; autoneg completes after timing.autonegNs
 *   phy.unplug(); phy.plug();              // cable events; BMSR link status latches low
 *   phy.onIrq((asserted) => ...);          // interrupt line, from the model's latched status bits
 *   phy.hardReset();                       // reset-gpios
 *
 * `phy.status` is the live link state; `phy.maps()` the register maps (for dumps and declaration checks).
 */
export { Phy, DEFAULT_TIMING, type PhyOptions, type PhyStatus, type PhyTiming } from './phy.js';
export { Clause22Phy, genericClause22Config } from './c22-phy.js';
export { Clause45Phy, genericClause45Config, MMD, type Clause45Config } from './c45-phy.js';
export { type Clause22Config } from './c22-registers.js';
export { Marvell88E1510, MARVELL_88E1510_ID, MARVELL_88E1510_MASK, MARVELL_PAGE } from './marvell-88e1510.js';
export { RealtekRtl8211f, RTL8211F_ID, RTL8211F_MASK } from './realtek-rtl8211f.js';
export { TiDp83867, DP83867_ID, DP83867_MASK, DP83867_DEVADDR } from './ti-dp83867.js';
export { idInFamily, type ModelOptions } from './phy-id.js';
export { CATALOGUE, createPhy, findModel, type CatalogueEntry, type CreatePhyOptions } from './catalogue.js';
export {
  resolveLink,
  resolveMasterSlave,
  highestCommonMode,
  type LinkResolution,
  type LocalLinkConfig,
  type ResolutionMethod,
} from './autoneg.js';
export { GIGABIT_SWITCH_PORT, type LinkPartner, type MasterSlavePreference } from './partner.js';
export { ALL_MODES, PRIORITY, type LinkMode, type Speed, type Duplex, type EeeMode } from './modes.js';
export type { PhyEvent } from './events.js';
export type { MdioDevice } from './device.js';
