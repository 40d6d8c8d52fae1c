#!/usr/bin/env node
// fdtoverlay for build systems. Same as `mdio-emu fdtoverlay`, without the CLI around it.
import { launch } from './launch.js';

await launch('cli/standalone/fdtoverlay');
