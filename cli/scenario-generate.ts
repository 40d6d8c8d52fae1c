import { makeOutputDir, writeOutputFile } from '../src/io/index.js';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  CANONICAL_SET,
  DEFAULT_PARAMS,
  generate,
  type GenerateParams,
  type Ordering,
  type PhyModel,
  type PseKind,
  type Target,
} from '../src/scenario/generate.js';
import { integerArg } from './options.js';
import { ExitCodeError } from './run.js';

interface Options {
  out: string;
  name?: string;
  buses: number;
  phys: number;
  phyModel: string[];
  pse: string;
  psePorts: number;
  psePhys: number;
  ordering: string;
  target: string;
  canonical?: boolean;
}

export function registerGenerate(scenario: Command): void {
  scenario
    .command('generate')
    .requiredOption('--out <dir>', 'folder to write DIR/*.dts and DIR/*.scenario.json into')
    .option('--name <name>', 'base name of the files (default: from the parameters, gen-...)')
    // Bounds here keep a typo from generating a billion nodes; generate() checks the combinations.
    .option('--buses <n>', 'number of MDIO buses', integerArg(1, 1024), DEFAULT_PARAMS.buses)
    .option('--phys <n>', 'PHYs per bus', integerArg(1, 31), DEFAULT_PARAMS.physPerBus)
    .option(
      '--phy-model <models...>',
      'PHY models, assigned in turn: marvell-88e1510, realtek-rtl8211f, ti-dp83867',
      [...DEFAULT_PARAMS.phyModels],
    )
    .option('--pse <kind>', 'podl (one PoDL regulator PSE per PHY), tps23881, or none', DEFAULT_PARAMS.pse)
    .option('--pse-ports <n>', 'TPS23881 PIs', integerArg(1, 1024), DEFAULT_PARAMS.psePorts)
    .option(
      '--pse-phys <n>',
      'how many PHYs of each bus, from the first, carry pses',
      integerArg(0, 31),
      DEFAULT_PARAMS.psePhysPerBus,
    )
    .option(
      '--ordering <order>',
      'pse-first, phy-first, pse-never, pse-removed or flapping',
      DEFAULT_PARAMS.ordering,
    )
    .option(
      '--target <target>',
      "standalone, or qemu-virt (QEMU's arm64 virt machine, adapters on qemu-xhci)",
      DEFAULT_PARAMS.target,
    )
    .option('--canonical', 'write the canonical set shipped in dts/ instead of one scenario')
    .description('generate device trees and scenario files from parameters; prints each file written')
    .action((opts: Options) => {
      const sets: GenerateParams[] = opts.canonical
        ? CANONICAL_SET
        : [
            {
              ...(opts.name !== undefined ? { name: opts.name } : {}),
              buses: opts.buses,
              physPerBus: opts.phys,
              phyModels: opts.phyModel as PhyModel[],
              pse: opts.pse as PseKind,
              psePorts: opts.psePorts,
              psePhysPerBus: opts.psePhys,
              ordering: opts.ordering as Ordering,
              target: opts.target as Target,
            },
          ];
      if (!['podl', 'tps23881', 'none'].includes(opts.pse))
        throw new ExitCodeError(2, `mdio-emu: --pse must be podl, tps23881 or none, got "${opts.pse}"`);
      if (!['standalone', 'qemu-virt'].includes(opts.target))
        throw new ExitCodeError(
          2,
          `mdio-emu: --target must be standalone or qemu-virt, got "${opts.target}"`,
        );
      const files = sets.flatMap((p) => generate(p));
      makeOutputDir(opts.out, 'output');
      for (const f of files) {
        const path = join(opts.out, f.name);
        writeOutputFile(path, f.text, 'generated file');
        process.stdout.write(`wrote ${path}\n`);
      }
    });
}
