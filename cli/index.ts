// The CLI's entry point (bin/mdio-emu.js runs its compiled form); cli/main.ts builds the program.
import { main } from './main.js';

await main(process.argv);
