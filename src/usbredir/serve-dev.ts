/**
 * Development entry: serve the Marvell USB-MDIO adapter with one PHY on a UNIX socket.
 *   tsx src/usbredir/serve-dev.ts <socket-path> [--connect] [--verbose]
 * Prints one line per MDIO access (`read phy:0x00 reg:0x02 val:0x0141`, like the guest's
 * mdio_access trace). SIGINT closes. `--connect` when QEMU listens (server=on).
 */
import { serveMvusbDemo } from './demo.js';

const args = process.argv.slice(2);
const path = args.find((a) => !a.startsWith('--'));
if (!path) {
  process.stderr.write('usage: serve-dev.ts <socket-path> [--connect] [--verbose]\n');
  process.exit(2);
}
const hex = (n: number, w: number): string => '0x' + n.toString(16).padStart(w, '0');
const link = await serveMvusbDemo(
  { path },
  {
    connect: args.includes('--connect'),
    onAccess: (a) =>
      process.stdout.write(
        `${a.op.padEnd(5)} phy:${hex(a.addr, 2)} reg:${hex(a.reg, 2)} val:${hex(a.value, 4)}\n`,
      ),
    trace: (e) => {
      if (e.event === 'usbredir.error') process.stderr.write(`usbredir error: ${e.error.message}\n`);
      else if (e.event === 'usbredir.device') process.stderr.write(`device ${e.state}\n`);
      else if (args.includes('--verbose') && e.event !== 'usbredir.tx')
        process.stderr.write(`rx ${e.event === 'usbredir.rx' ? e.packet.type : e.event}\n`);
    },
  },
);
process.stderr.write(
  `mvusb adapter ${args.includes('--connect') ? 'connected to' : 'listening on'} ${path}\n`,
);
process.on('SIGINT', () => void link.close().then(() => process.exit(0)));
