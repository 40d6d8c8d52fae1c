import { Command } from 'commander';
import { runCli } from './run.js';

/** What every subcommand file exports. */
export interface Subcommand {
  register(program: Command): void;
}

/**
 * Each subcommand lives in its own file and exports `register(program)`. They are imported lazily: one
 * `mdio-emu dtc` per board in a kernel build must not pay for loading the emulator, the QEMU runner and
 * the protocol stack. Add new ones here; the order is the order of `mdio-emu --help`.
 */
const SUBCOMMANDS: ReadonlyMap<string, () => Promise<Subcommand>> = new Map([
  ['dtc', () => import('./dtc.js')],
  ['fdtoverlay', () => import('./fdtoverlay.js')],
  ['dts', () => import('./dts.js')],
  ['pse', () => import('./pse.js')],
  ['serve', () => import('./serve.js')],
  ['client', () => import('./client.js')],
  ['qemu', () => import('./qemu.js')],
  ['lava', () => import('./lava.js')],
  ['phy', () => import('./phy.js')],
  ['scenario', () => import('./scenario.js')],
  ['record', () => import('./record.js')],
  ['replay', () => import('./replay.js')],
  ['trace', () => import('./trace.js')],
]);

export const VERSION = '0.1.0';

/**
 * The subcommands a command line needs: the one it names, none for `--version`, and all of them for
 * anything else (help, no command, a misspelt command) so commander lists and suggests every one.
 */
export function subcommandsFor(args: readonly string[]): string[] {
  const first = args[0];
  if (first !== undefined && SUBCOMMANDS.has(first)) return [first];
  if (args.length === 1 && (first === '-V' || first === '--version')) return [];
  return [...SUBCOMMANDS.keys()];
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('mdio-emu')
    .description('Emulated MDIO buses, PHYs and PoE PSE controllers built from a device tree')
    .version(VERSION)
    // Program options only before the subcommand, so a subcommand may have its own --version (qemu kernel).
    .enablePositionalOptions();
  const loaders = subcommandsFor(argv.slice(2)).flatMap((n) => SUBCOMMANDS.get(n) ?? []);
  for (const m of await Promise.all(loaders.map((load) => load()))) m.register(program);
  await runCli(program, [...argv]);
}
