// Entry of bin/mdio-emu-fdtoverlay.js: `mdio-emu fdtoverlay` without commander, for kbuild's composite DTBs.
import { runFdtoverlay } from '../fdtoverlay.js';
import { runTool } from '../run.js';

runTool(runFdtoverlay, process.argv.slice(2));
