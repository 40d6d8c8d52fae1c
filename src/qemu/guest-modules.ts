import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { moduleKey, type GuestModule } from './init-script.js';

/**
 * The kernel modules in a directory, with their dependencies read from each file's `.modinfo` strings
 * (`depends=a,b`, `name=x`; include/linux/module.h MODULE_INFO), so the guest can insmod them in order
 * without depmod or modprobe.
 */
export async function readGuestModules(dir: string): Promise<Map<string, GuestModule>> {
  const out = new Map<string, GuestModule>();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ko')).sort()) {
    const bytes = await readFile(join(dir, file));
    const info = modinfo(bytes);
    const name = moduleKey(info.get('name') ?? file);
    const depends = (info.get('depends') ?? '')
      .split(',')
      .filter((d) => d.length > 0)
      .map(moduleKey);
    out.set(name, { name, file, depends });
  }
  return out;
}

/** `key=value` strings of the `.modinfo` section; found by content, which is enough for name and depends. */
export function modinfo(bytes: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of ['name', 'depends', 'vermagic']) {
    const at = bytes.indexOf(`\0${key}=`, 0, 'latin1');
    if (at < 0) continue;
    const start = at + key.length + 2;
    const end = bytes.indexOf(0, start);
    out.set(key, bytes.toString('latin1', start, end < 0 ? bytes.length : end));
  }
  return out;
}

/** The kernel release the modules were built for (the first word of a module's vermagic), if any module says. */
export async function readGuestRelease(dir: string): Promise<string | undefined> {
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ko')).sort()) {
    const vermagic = modinfo(await readFile(join(dir, file))).get('vermagic');
    if (vermagic) return vermagic.split(' ')[0];
  }
  return undefined;
}
