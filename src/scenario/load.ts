import { basename, dirname, resolve } from 'node:path';
import { buildBoard, type Board, type BoardOptions } from '../board/board.js';
import { loadTreeFile, type LoadedTree } from '../board/load.js';
import { readInputFile } from '../io/index.js';
import { bindScenario, type GuestKind } from './bind.js';
import type { JsonSource } from './json-source.js';
import { parseScenario } from './parse.js';
import { QEMU_VIRT_STUB_BASE } from './qemu-virt-stub.js';
import type { Scenario } from './types.js';

/** A scenario file read and checked on its own (before any device tree is compiled). */
export interface ScenarioFile {
  scenario: Scenario;
  source: JsonSource;
  /** Absolute path of the scenario file. */
  file: string;
  /** Absolute path of its device tree source. */
  dtsFile: string;
}

/** Scenario files are small; a larger file is a mistake (or /dev/zero), refused before it is read. */
const MAX_SCENARIO_BYTES = 4 * 1024 * 1024;

export function readScenarioFile(file: string): ScenarioFile {
  const abs = resolve(file);
  const text = readInputFile(abs, { what: 'scenario', maxBytes: MAX_SCENARIO_BYTES }).toString('utf8');
  const { scenario, source } = parseScenario(
    text,
    abs,
    basename(abs).replace(/\.scenario\.json$|\.json$/, ''),
  );
  return { scenario, source, file: abs, dtsFile: resolve(dirname(abs), scenario.dts) };
}

export interface ScenarioBoard extends ScenarioFile {
  tree: LoadedTree;
  board: Board;
}

export interface ScenarioBoardOptions extends BoardOptions {
  guest: GuestKind;
  /**
   * The tree a QEMU fragment (a DTS without `/dts-v1/`) is merged onto: QEMU's own virt tree for a QEMU run;
   * a stand-in with its PCIe host bridge otherwise.
   */
  base?: { name: string; dts: string };
}

/** The one way from a scenario file to a running board: its tree compiled, the board built, every reference bound. */
export function loadScenarioBoard(file: ScenarioFile, options: ScenarioBoardOptions): ScenarioBoard {
  const { guest, base, ...boardOptions } = options;
  const tree = loadTreeFile(file.dtsFile, {
    base: base ?? QEMU_VIRT_STUB_BASE,
    symbols: true,
  });
  // A real kernel is its own PSE framework: its ports are what its driver made the chips do.
  const board = buildBoard(tree.tree, {
    ...(guest === 'real-kernel' ? { portStatesFrom: 'chips' as const } : {}),
    ...boardOptions,
  });
  const scenario = bindScenario(file.scenario, file.source, board, guest);
  return { ...file, scenario, tree, board };
}
