/**
 * Development entry: a LAN7801 with a Marvell 88E1510 at MDIO address 1 (link partner: a gigabit switch
 * port) served to QEMU's usb-redir on a UNIX socket, its transmitted frames written to a pcap file.
 *   tsx src/usbredir/devices/lan7801-serve-dev.ts <socket> <out.pcap> [--connect] [--mdio]
 * Commands on stdin, one per line: `unplug`, `plug` (the cable at the PHY), `inject` (a broadcast frame
 * towards the guest). Virtual time follows the wall clock. SIGINT closes.
 */
import { createInterface } from 'node:readline';
import { VirtualClock } from '../../clock.js';
import { MdioBus } from '../../mdio/index.js';
import { openPcapFile } from '../../net/pcap-file.js';
import { createPhy, GIGABIT_SWITCH_PORT, MARVELL_88E1510_ID } from '../../phy/index.js';
import { connectUsbredir, listenUsbredir } from '../transport.js';
import { Lan7801 } from './lan7801.js';

const args = process.argv.slice(2);
const [path, pcapPath] = args.filter((a) => !a.startsWith('--'));
if (!path || !pcapPath) {
  process.stderr.write('usage: lan7801-serve-dev.ts <socket> <out.pcap> [--connect] [--mdio]\n');
  process.exit(2);
}
const clock = new VirtualClock();
const started = performance.now();
const pacer = setInterval(() => clock.advanceTo(Math.round((performance.now() - started) * 1e6)), 5);
const bus = new MdioBus({ name: 'lan7801-mdio', clock });
const phy = createPhy(MARVELL_88E1510_ID, { clock, name: 'ethernet-phy@1' });
bus.attach(1, phy);
phy.setPartner(GIGABIT_SWITCH_PORT);
phy.onIrq((asserted) =>
  process.stderr.write(
    `phy irq ${asserted ? 'asserted' : 'released'} (link ${phy.status.up ? 'up' : 'down'})\n`,
  ),
);
const pcap = openPcapFile(pcapPath, clock);
const hex = (n: number, w: number): string => '0x' + n.toString(16).padStart(w, '0');
const device = new Lan7801({
  mdio: bus,
  phy,
  wire: pcap,
  trace: (e) => {
    if (e.event === 'lan7801.mdio' && args.includes('--mdio'))
      process.stdout.write(
        `${e.op.padEnd(5)} phy:${hex(e.phy, 2)} reg:${hex(e.reg, 2)} val:${hex(e.value, 4)}\n`,
      );
    else if (e.event === 'lan7801.unimplemented')
      process.stderr.write(`lan7801: register ${hex(e.address, 4)} not implemented (${e.op})\n`);
    else if (
      e.event === 'lan7801.guest_error' ||
      e.event === 'lan7801.reset' ||
      e.event === 'lan7801.interrupt'
    )
      process.stderr.write(`lan7801: ${JSON.stringify(e)}\n`);
  },
});
const options = {
  trace: (e: { event: string; state?: string; error?: Error }) => {
    if (e.event === 'usbredir.error') process.stderr.write(`usbredir error: ${e.error?.message ?? ''}\n`);
    else if (e.event === 'usbredir.device') process.stderr.write(`device ${e.state ?? ''}\n`);
  },
};
const link = args.includes('--connect')
  ? await connectUsbredir(device, { path }, options)
  : await listenUsbredir(device, { path }, options);
process.stderr.write(`lan7801 ${args.includes('--connect') ? 'connected to' : 'listening on'} ${path}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'unplug') phy.unplug();
  else if (cmd === 'plug') phy.plug();
  else if (cmd === 'inject') {
    const f = new Uint8Array(60);
    f.fill(0xff, 0, 6);
    f.set([0x02, 0x00, 0x00, 0x00, 0x00, 0x99], 6);
    f.set([0x88, 0xb5], 12);
    device.receive(f);
  }
  process.stderr.write(
    `${cmd}: link ${phy.status.up ? 'up' : 'down'}, tx ${device.counters.txFrames} rx ${device.counters.rxFrames} pcap ${pcap.frames}\n`,
  );
});
process.on('SIGINT', () => {
  clearInterval(pacer);
  pcap.close();
  void link.close().then(() => process.exit(0));
});
