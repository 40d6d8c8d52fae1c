import { ms, VirtualClock } from '../../src/clock.js';
import { MdioBus, Tracer, type EmulationEvent } from '../../src/mdio/index.js';
import { createPhy, GIGABIT_SWITCH_PORT, type LinkPartner, type Phy } from '../../src/phy/index.js';
import { LinuxPhyAccess } from './linux.js';

/** One PHY at address 0 with a partner, and every register the walk touched that the model lacks. */
export function phyBoard(
  phyId: number,
  opts: { pageReg?: number; partner?: LinkPartner | undefined; clause45?: boolean } = {},
) {
  const clock = new VirtualClock();
  const trace = new Tracer<EmulationEvent>();
  const unmodelled: EmulationEvent[] = [];
  trace.on((e) => {
    if (e.type === 'reg.unmodelled') unmodelled.push(e);
  });
  const bus = new MdioBus({ name: '/mdio', clock, trace });
  const phy: Phy = createPhy(phyId, {
    clock,
    trace,
    name: 'phy0',
    clause45: opts.clause45 ?? false,
    timing: { autonegNs: ms(1500), softResetNs: ms(1), forcedLinkNs: ms(100) },
  });
  phy.setPartner('partner' in opts ? opts.partner : GIGABIT_SWITCH_PORT);
  bus.attach(0, phy);
  return { clock, trace, bus, phy, unmodelled, linux: new LinuxPhyAccess(bus, 0, opts.pageReg ?? 0) };
}
