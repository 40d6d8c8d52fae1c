import type { Command } from 'commander';
import { findMdioBuses } from '../src/bindings/mdio.js';
import { checkPseBindings } from '../src/bindings/pse.js';
import { formatUsbI2cPath } from '../src/bindings/usb-i2c.js';
import { VirtualClock } from '../src/clock.js';
import { MdioEmulation } from '../src/board/emulation.js';
import type { Phy } from '../src/phy/index.js';
import { loadTree } from './pse.js';
import { ExitCodeError } from './run.js';

const hex = (v: number, digits: number) => `0x${v.toString(16).padStart(digits, '0')}`;

/** `mdio-emu phy list FILE [--json]` and `mdio-emu phy dump FILE BUS PHY`. */
export function register(program: Command): void {
  const phy = program.command('phy').description('PHYs an MDIO device tree yields');

  phy
    .command('list')
    .description(
      'list MDIO buses and their PHYs (bus DT path, address, PHY ID, model; for a PHY with `pses`, its PSE PI and ' +
        'the USB-I2C bridge the controller sits behind)',
    )
    .argument('<file>', 'DTS or DTB')
    .option('--json', 'machine-readable output')
    .action((file: string, opts: { json?: boolean }) => {
      const tree = loadTree(file);
      const buses = findMdioBuses(tree);
      const pse = checkPseBindings(tree.root);
      const controllers = new Map(pse.controllers.map((c) => [c.path, c]));
      const pseOf = (node: string) => {
        const link = pse.links.find((l) => l.phy === node);
        if (!link) return undefined;
        const bus = controllers.get(link.controller)?.bus;
        return { controller: link.controller, pi: link.pi, ...(bus ? { via: bus } : {}) };
      };
      const rows = buses.flatMap((b) =>
        b.phys.map((p) => {
          const link = pseOf(p.path);
          return {
            bus: b.path,
            busKind: b.kind,
            address: p.address,
            phyId: hex(p.phyId, 8),
            clause: p.clause45 ? 45 : 22,
            model: p.model,
            node: p.path,
            ...(link ? { pse: link } : {}),
          };
        }),
      );
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ buses: buses.map((b) => ({ path: b.path, kind: b.kind })), phys: rows }, null, 2)}\n`,
        );
        return;
      }
      if (rows.length === 0) {
        process.stdout.write(buses.length ? `${buses.length} MDIO bus(es), no PHYs\n` : 'no MDIO buses\n');
        return;
      }
      for (const r of rows) {
        const pseText = r.pse
          ? `\tpse ${r.pse.controller} pi ${r.pse.pi}${r.pse.via ? ` via ${formatUsbI2cPath(r.pse.via)}` : ''}`
          : '';
        process.stdout.write(`${r.bus}\t${r.address}\t${r.phyId}\tc${r.clause}\t${r.model}${pseText}\n`);
      }
    });

  phy
    .command('dump')
    .description("print a PHY's registers after reset")
    .argument('<file>', 'DTS or DTB')
    .argument('<bus>', 'bus DT path (or a unique suffix of it)')
    .argument('<phy>', 'PHY address')
    .action((file: string, busPath: string, address: string) => {
      const addr = Number(address);
      if (!Number.isInteger(addr) || addr < 0 || addr > 31)
        throw new ExitCodeError(2, `bad PHY address "${address}" (0..31)`);
      const emu = new MdioEmulation(loadTree(file), { clock: new VirtualClock(), partner: undefined });
      let target: Phy;
      try {
        target = emu.phy(busPath, addr);
      } catch (err) {
        throw new ExitCodeError(1, `mdio-emu: ${err instanceof Error ? err.message : String(err)}`);
      }
      process.stdout.write(`# ${target.name}: ${target.model}, ID ${hex(target.phyId, 8)}\n`);
      for (const line of dumpRegisters(target)) process.stdout.write(`${line}\n`);
    });
}

/** One line per declared register: map, page, address, mnemonic, value (read without side effects). */
export function dumpRegisters(phy: Phy): string[] {
  const lines: string[] = [];
  for (const map of phy.maps()) {
    const sorted = [...map.registers].sort(
      (a, b) => (a.page ?? -1) - (b.page ?? -1) || a.address - b.address,
    );
    for (const r of sorted) {
      const page = r.page === undefined ? '' : ` page ${hex(r.page, 2)}`;
      lines.push(`${map.name}${page} ${hex(r.address, 2)} ${r.name.padEnd(24)} ${hex(r.peek(), 4)}`);
    }
  }
  return lines;
}
