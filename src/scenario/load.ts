import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { parseScenario } from './parse.js';
import type { Scenario } from './types.js';

export interface LoadedScenario<S = Scenario> {
  scenario: S;
  /** Absolute path of the scenario file. */
  file: string;
  /** Absolute path of its device tree source. */
  dtsFile: string;
}

/**
 * Reads a scenario file; its `dts` is resolved against the scenario file's folder. `parse` accepts more
 * kinds (src/scenario/qemu-kinds.ts `parseQemuScenario`).
 */
export async function loadScenario<S extends { dts: string } = Scenario>(
  file: string,
  parse: (text: string, defaultName: string) => S = parseScenario as unknown as (
    text: string,
    defaultName: string,
  ) => S,
): Promise<LoadedScenario<S>> {
  const abs = resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new ConfigError('SCN003', '', `cannot read scenario file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let scenario: S;
  try {
    scenario = parse(text, basename(abs).replace(/\.scenario\.json$|\.json$/, ''));
  } catch (err) {
    if (err instanceof ConfigError) throw err.inFile(file);
    throw err;
  }
  return { scenario, file: abs, dtsFile: resolve(dirname(abs), scenario.dts) };
}
