import { Command } from 'commander';
import { runCli } from './run.js';
import * as dtc from './dtc.js';
import * as dts from './dts.js';
import * as pse from './pse.js';
import * as serve from './serve.js';
import * as client from './client.js';
import * as qemu from './qemu.js';
import * as scenario from './scenario.js';
import * as record from './record.js';
import * as replay from './replay.js';
import * as trace from './trace.js';
import * as phy from './phy.js';

// Each subcommand lives in its own file and exports `register(program)`; add new ones to this list.
const modules: { register: (program: Command) => void }[] = [
  // subcommands:
  dtc,
  dts,
  pse,
  serve,
  client,
  qemu,
  phy,
  scenario,
  record,
  replay,
  trace,
];

const program = new Command('mdio-emu')
  .description('Emulated MDIO buses, PHYs and PoE PSE controllers built from a device tree')
  .version('0.1.0')
  // Program options only before the subcommand, so a subcommand may have its own --version (qemu kernel).
  .enablePositionalOptions();
for (const m of modules) m.register(program);
await runCli(program, process.argv);
