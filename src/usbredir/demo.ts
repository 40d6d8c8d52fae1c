import { MvusbAdapter } from './devices/mvusb.js';
import { SimpleClause22Bus, marvellLikePhy, type SimpleBusAccess } from './devices/simple-c22-bus.js';
import { connectUsbredir, listenUsbredir, type UsbredirAddress, type UsbredirLink } from './transport.js';
import type { UsbredirTraceEvent } from './session.js';

export interface DemoOptions {
  /** Connect to a listening QEMU instead of listening. */
  readonly connect?: boolean;
  /** PHY address on the adapter's bus (default 0). */
  readonly phyAddress?: number;
  readonly onAccess?: (access: SimpleBusAccess) => void;
  readonly trace?: (event: UsbredirTraceEvent) => void;
}

/**
 * The Marvell USB-MDIO adapter with one Marvell-like PHY (ID 0x01410dd1) on a plain register
 * table, served on `address`: enough for a guest to enumerate the adapter and bind the PHY.
 */
export async function serveMvusbDemo(
  address: UsbredirAddress,
  options: DemoOptions = {},
): Promise<UsbredirLink> {
  const bus = new SimpleClause22Bus([marvellLikePhy(options.phyAddress ?? 0)], options.onAccess);
  const device = new MvusbAdapter(bus);
  const linkOptions = options.trace ? { trace: options.trace } : {};
  return options.connect
    ? connectUsbredir(device, address, linkOptions)
    : listenUsbredir(device, address, linkOptions);
}
