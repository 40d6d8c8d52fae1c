import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { compileDts } from '../dts/compile.js';
import { formatDiagnostic } from '../dts/diagnostics.js';
import type { DeviceTree } from '../dts/tree.js';
import { parseEmulatorScenario, type EmulatorScenario } from './emulator-kinds.js';
import { ConfigError } from './errors.js';
import { loadScenario } from './load.js';
import { isQemuFragment, QEMU_VIRT_STUB } from './qemu-virt-stub.js';

export interface LoadedEmulatorScenario {
  scenario: EmulatorScenario;
  file: string;
  dtsFile: string;
  tree: DeviceTree;
}

/** Reads a scenario file that may use the emulator-only kinds, and compiles its device tree. */
export async function loadEmulatorScenario(file: string): Promise<LoadedEmulatorScenario> {
  const loaded = await loadScenario(file, parseEmulatorScenario);
  return { ...loaded, tree: compileTreeFile(loaded.dtsFile) };
}

/**
 * Compiles a DTS file with our compiler; a QEMU fragment (no `/dts-v1/`) is compiled on top of the
 * stand-in for QEMU's virt tree.
 */
export function compileTreeFile(dtsFile: string): DeviceTree {
  let source: string;
  try {
    source = readFileSync(dtsFile, 'latin1');
  } catch (err) {
    throw new ConfigError('SCN003', 'dts', `cannot read ${dtsFile}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const fragment = isQemuFragment(source);
  const main = fragment ? `${QEMU_VIRT_STUB}/include/ ${JSON.stringify(basename(dtsFile))}\n` : source;
  const result = compileDts(main, {
    fileName: fragment ? resolve(dirname(dtsFile), 'qemu-virt-stub.dts') : dtsFile,
    includeDirs: [dirname(dtsFile)],
    host: {
      readFile: (p) => {
        try {
          return readFileSync(resolve(dirname(dtsFile), p));
        } catch {
          return undefined;
        }
      },
    },
  });
  if (!result.ok || !result.tree) {
    const errors = result.diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => formatDiagnostic(d, result.files));
    throw new ConfigError(
      'SCN008',
      'dts',
      `${dtsFile} did not compile:\n${errors.join('\n') || 'no output'}`,
    );
  }
  return result.tree;
}
