import { makeOutputDir, writeOutputFile } from '../src/io/index.js';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { loadTreeFile } from '../src/board/load.js';
import { checkPseBindings, formatPseMap, hasErrors } from '../src/bindings/pse.js';
import { TPS23881_FIRMWARE_FILES, generateTps23881Firmware } from '../src/pse/tps23881-firmware.js';
import { QEMU_VIRT_STUB_BASE } from '../src/scenario/qemu-virt-stub.js';
import type { DeviceTree } from '../src/dts/tree.js';
import { ExitCodeError } from './run.js';

/** A DTS or DTB file the user named (a QEMU fragment compiles onto the stand-in for QEMU's virt tree). */
export function loadTree(file: string): DeviceTree {
  return loadTreeFile(file, { base: QEMU_VIRT_STUB_BASE }).tree;
}

export function register(program: Command): void {
  const pse = program.command('pse').description('PoE PSE controllers and their device-tree bindings');
  pse
    .command('map')
    .argument('<file>', 'device tree, DTS source or DTB')
    .option('--json', 'print the resolved map and findings as JSON')
    .option('--kernel <version>', "also check what this Linux version's PSE drivers require (e.g. 7.2)")
    .description(
      'print each PHY node with the PSE controller, PI and pairsets its `pses` resolves to, and the USB-I2C bridge ' +
        '(CP2112, CP2615) a controller sits behind; exit 1 on a wrong binding',
    )
    .action((file: string, opts: { json?: boolean; kernel?: string }) => {
      const report = checkPseBindings(loadTree(file).root, {
        ...(opts.kernel !== undefined ? { kernel: parseKernelVersion(opts.kernel) } : {}),
      });
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ links: report.links, controllers: report.controllers, diagnostics: report.diagnostics.map(({ span: _span, ...d }) => d) }, null, 2)}\n`,
        );
      } else {
        for (const line of formatPseMap(report)) process.stdout.write(`${line}\n`);
        for (const d of report.diagnostics) process.stderr.write(`${d.severity} ${d.code}: ${d.message}\n`);
      }
      if (hasErrors(report)) {
        const paths = [
          ...new Set(report.diagnostics.filter((d) => d.severity === 'error').map((d) => d.path)),
        ];
        throw new ExitCodeError(1, `mdio-emu: PSE binding errors in ${paths.join(', ')}`);
      }
    });
  pse
    .command('firmware')
    .argument('<dir>', "a firmware root: the guest's /lib/firmware is built from it")
    .description(
      'write the TPS23881 parity and SRAM images the tps23881 driver requests (ti/tps23881/...-14.bin): ' +
        "mdio-emu's own stand-ins, the very bytes the emulated chip accepts",
    )
    .action((dir: string) => {
      const images = generateTps23881Firmware();
      for (const [part, rel] of Object.entries(TPS23881_FIRMWARE_FILES) as ['parity' | 'sram', string][]) {
        const file = join(dir, rel);
        makeOutputDir(dirname(file), 'firmware');
        writeOutputFile(file, images[part], 'firmware image');
        process.stdout.write(`${file}\t${images[part].length} bytes\n`);
      }
    });
}

/** "7.2" or "6.17.3" to [major, minor]. */
export function parseKernelVersion(text: string): [number, number] {
  const m = /^(\d+)\.(\d+)(\.\d+)?$/.exec(text);
  if (!m) throw new ExitCodeError(2, `mdio-emu: --kernel wants a version such as 7.2, got "${text}"`);
  return [Number(m[1]), Number(m[2])];
}
