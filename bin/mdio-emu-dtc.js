#!/usr/bin/env node
// dtc for build systems: `make DTC=.../mdio-emu-dtc dtbs`. Same as `mdio-emu dtc`, without the CLI around it.
import { launch } from './launch.js';

await launch('cli/standalone/dtc');
