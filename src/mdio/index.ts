/**
 * The MDIO bus API other layers build on (PSE model, socket server, scenarios, the QEMU usbredir adapter).
 *
 *   const clock = new VirtualClock();
 *   const trace = new Tracer<EmulationEvent>();
 *   const bus = new MdioBus({ name: '/mdio', clock, trace });
 *   bus.attach(1, createPhy(0x01410dd0, { clock, trace, name: '/mdio/ethernet-phy@1' }));
 *   bus.read(1, 2);                 // Clause 22: PHYID1 -> 0x0141
 *   bus.readC45(0, 1, 5);           // Clause 45: address frame + read frame
 *   clock.advance(ms(1500));        // autoneg completes on virtual time
 *   trace.on((e) => { if (e.type === 'mdio.read') ... });
 *
 * Empty addresses read 0xffff and are traced with `responded: false`; API misuse throws `BusError`.
 */
export { MdioBus, MDIO_ADDRESSES, NO_RESPONSE, type MdioBusOptions } from './bus.js';
export { BusError, BusErrorCode, type BusErrorCodeValue } from './errors.js';
export type { MdioFault, FaultHandle } from './faults.js';
export type { MdioEvent, MdioFaultKind, EmulationEvent } from './trace.js';
export type { MdioDevice } from '../phy/device.js';
export { VirtualClock, ms, us, type Clock, type TimerHandle } from '../clock.js';
export { Tracer, type TraceSink } from '../regs/trace.js';
