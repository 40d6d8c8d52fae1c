import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where `serve` listens and `client` connects when given neither --unix nor --tcp: one socket per user. */
export function defaultUnixPath(): string {
  return join(tmpdir(), `mdio-emu-${process.getuid?.() ?? 0}.sock`);
}
