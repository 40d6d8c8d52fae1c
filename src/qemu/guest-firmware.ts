import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Board } from '../board/index.js';
import { TPS23881_FIRMWARE_FILES, generateTps23881Firmware } from '../pse/tps23881-firmware.js';

/**
 * The firmware files the guest's drivers request for the board's chips, written under `root` as the guest's
 * /lib/firmware lays them out; returns the files written (none: the guest needs no firmware directory).
 * A TPS23881 (not the B, whose code is in ROM) gets mdio-emu's parity and SRAM stand-ins, the very images the
 * model accepts (src/pse/tps23881-firmware.ts), so the model's download check compares the guest's files.
 */
export async function writeGuestFirmware(board: Board, root: string): Promise<string[]> {
  const needsTps = board.i2c.some((b) => [...b.chips.values()].some((c) => c.variant === 'tps23881'));
  if (!needsTps) return [];
  const images = generateTps23881Firmware();
  const out: string[] = [];
  for (const part of ['parity', 'sram'] as const) {
    const file = join(root, TPS23881_FIRMWARE_FILES[part]);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, images[part]);
    out.push(file);
  }
  return out;
}
