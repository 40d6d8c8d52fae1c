import { loadTreeFile } from '../src/board/load.js';
import { QEMU_VIRT_STUB_BASE } from '../src/scenario/qemu-virt-stub.js';
import type { Command } from 'commander';
import { checkPseBindings, formatPseMap, hasErrors } from '../src/bindings/pse.js';
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
    .description(
      'print each PHY node with the PSE controller, PI and pairsets its `pses` resolves to; exit 1 on a wrong binding',
    )
    .action((file: string, opts: { json?: boolean }) => {
      const report = checkPseBindings(loadTree(file).root);
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
}
