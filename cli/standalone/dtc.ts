// Entry of bin/mdio-emu-dtc.js: `mdio-emu dtc` without commander, for build systems' $(DTC).
import { runDtc } from '../dtc.js';
import { runTool } from '../run.js';

runTool(runDtc, process.argv.slice(2));
