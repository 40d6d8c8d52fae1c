#!/usr/bin/env node
// What a LAVA worker's QEMU device runs in place of qemu-system-aarch64: the emulator side of an mdio-emu job
// next to QEMU (docs/scale-out.md). Without mdio-emu's run spec option it is plain QEMU.
import { launch } from './launch.js';

await launch('cli/standalone/qemu-wrapper');
