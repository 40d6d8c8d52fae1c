import { ms, VirtualClock } from '../src/clock.js';
import { I2cBus } from '../src/i2c/index.js';
import { Clause22Phy, genericClause22Config } from '../src/phy/c22-phy.js';
import type { PhyEvent } from '../src/phy/events.js';
import { GIGABIT_SWITCH_PORT } from '../src/phy/partner.js';
import { Tps23881 } from '../src/pse/tps23881.js';
import type { RegisterEvent } from '../src/regs/index.js';
import type { Board, PseControllerSpec } from './board.js';

export type LinkListener = (busId: number, addr: number, up: boolean, speed: number, duplex: 'half' | 'full' | 'unknown') => void;

const MDIO_PATH = '/mdio@ff0d0000';
const I2C_PATH = '/i2c@ff020000';
const PSE_PATH = '/i2c@ff020000/ethernet-pse@20';
/** Marvell 88E1510 (drivers/net/phy/marvell.c MARVELL_PHY_ID_88E1510), served by the generic C22 model. */
const PHY_ID = 0x01410dd1;

/**
 * Builds the board that dts/default-board.dts describes, from the real PHY, I2C and TPS23881 models. Written
 * out by hand until the device-tree builder in src/bindings can make it from the DTS itself; the topology
 * test checks that both agree (paths, addresses, PHY IDs).
 */
export function buildDefaultBoard(onLink: LinkListener): Board {
  const clock = new VirtualClock();
  const pse: PseControllerSpec = {
    path: PSE_PATH,
    compatible: 'ti,tps23881',
    registered: false,
    pis: [0, 1].map((i) => ({ name: `pse-pi@${i}`, adminEnabled: false, powerClass: 4, powerMw: 12950, limitMw: 30000 })),
  };
  const phys = new Map<number, { phy: Clause22Phy; path: string; pses: string[] }>();
  for (const addr of [1, 2]) {
    const trace = {
      enabled: true,
      emit(e: PhyEvent | RegisterEvent) {
        if (e.type === 'phy.link') onLink(0, addr, e.up, e.up ? e.speed : 0, e.up ? e.duplex : 'unknown');
      },
    };
    const phy = new Clause22Phy({ clock, name: `${MDIO_PATH}/ethernet-phy@${addr}`, trace, seed: addr }, genericClause22Config(PHY_ID));
    phy.setPartner(GIGABIT_SWITCH_PORT);
    phys.set(addr, { phy, path: `${MDIO_PATH}/ethernet-phy@${addr}`, pses: [`${PSE_PATH}/pse-pis/pse-pi@${addr - 1}`] });
  }
  const i2c = new I2cBus();
  // The chip answers on I2C only once its driver's probe would have found it: presence follows the lifecycle.
  i2c.attach(0x20, new Tps23881({ isPresent: () => pse.registered }));
  const events = new Map<string, () => void>([
    ['pse-load', () => void (pse.registered = true)],
    ['pse-unload', () => void (pse.registered = false)],
    ['cable-unplug', () => phys.forEach((p) => p.phy.unplug())],
    ['cable-plug', () => phys.forEach((p) => p.phy.plug())],
  ]);
  return {
    clock,
    mdio: [{ path: MDIO_PATH, phys }],
    i2c: [{ path: I2C_PATH, bus: i2c, devices: [{ addr: 0x20, path: PSE_PATH, compatible: 'ti,tps23881' }] }],
    pse: [pse],
    events,
    timeline: [[ms(2000) / 1_000_000, 'pse-load']],
  };
}
