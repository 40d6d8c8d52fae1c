import { Command } from 'commander';

const program = new Command('mdio-emu').description('Emulated MDIO buses, PHYs and PSE controllers from a device tree');
program.version('0.1.0');
await program.parseAsync(process.argv);
