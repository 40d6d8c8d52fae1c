import { ms, VirtualClock } from '../src/clock.js';
import { buildMdioBuses } from '../src/bindings/mdio.js';
import { checkPseBindings } from '../src/bindings/pse.js';
import { compileDts, type CompileHost } from '../src/dts/compile.js';
import { formatDiagnostic } from '../src/dts/diagnostics.js';
import type { DeviceTree } from '../src/dts/tree.js';
import { I2cBus } from '../src/i2c/index.js';
import { ControllerLifecycle, PseControllerModel, Tps23881 } from '../src/pse/index.js';
import { Tracer } from '../src/regs/index.js';
import type { Board, BoardTraceEvent, I2cBusSpec, MdioBusSpec, PseControllerSpec } from './board.js';

/** Kernel modules whose loading registers (and unloading unregisters) PSE controllers of a kind. */
const PSE_DRIVER_OF: Readonly<Record<string, string>> = {
  tps23881: 'ti,tps23881',
  pd692x0: 'microchip,pd692x0',
  pse_regulator: 'podl-pse-regulator',
};

export interface DtBoardOptions {
  fileName: string;
  /** Reads `/include/` files; without it includes fail. */
  host?: CompileHost;
  timeline?: [number, string][];
  realtime?: boolean;
  /** Extra events (a scenario's steps) merged into the board's own. */
  extraEvents?: Map<string, (board: Board) => void>;
}

/** A device tree that does not compile: the message carries dtc-style diagnostics. */
export class BoardSourceError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Builds the emulation a device tree describes: MDIO buses and PHYs as src/bindings/mdio.ts reads them (each
 * PHY cabled to a gigabit switch port), PSE controllers from the PSE bindings with a lifecycle that
 * registers on the `pse-load` event, TPS23881 chips on their I2C buses.
 */
export function buildBoardFromDts(text: string, options: DtBoardOptions): Board {
  const result = compileDts(text, {
    fileName: options.fileName,
    ...(options.host ? { host: options.host } : {}),
  });
  if (!result.ok || !result.tree) {
    throw new BoardSourceError(
      result.diagnostics.map((d) => formatDiagnostic(d, result.files)).join('\n') ||
        `${options.fileName}: does not compile`,
    );
  }
  return buildBoardFromTree(result.tree, options);
}

/** The same from a tree already compiled (a scenario's, which may be a QEMU fragment over the virt stub). */
export function buildBoardFromTree(
  tree: DeviceTree,
  options: Omit<DtBoardOptions, 'fileName' | 'host'>,
): Board {
  const root = tree.root;
  const clock = new VirtualClock();
  const trace = new Tracer<BoardTraceEvent>();
  const pseReport = checkPseBindings(root);
  const psesOf = new Map<string, string[]>();
  for (const l of pseReport.links)
    psesOf.set(l.phy, [...(psesOf.get(l.phy) ?? []), l.piPath ?? `${l.controller}#${l.pi}`]);

  // The MDIO side is src/bindings/mdio.ts: which nodes are buses and PHYs, IDs, models, cable partners.
  const mdio: MdioBusSpec[] = buildMdioBuses(tree, { clock, trace }).map((built) => {
    const phys: MdioBusSpec['phys'] = new Map();
    for (const info of built.info.phys) {
      const phy = built.phys.get(info.address);
      if (phy)
        phys.set(info.address, {
          phy,
          path: info.path,
          c45: info.clause45,
          pses: psesOf.get(info.path) ?? [],
        });
    }
    return { path: built.info.path, bus: built.bus, phys };
  });

  const i2cByPath = new Map<string, I2cBusSpec>();
  const pse: PseControllerSpec[] = [];
  for (const c of pseReport.controllers) {
    if (!c.enabled) continue;
    const lifecycle = new ControllerLifecycle(clock, {
      controller: c.path,
      schedule: { kind: 'on-trigger' },
    });
    lifecycle.subscribe((e) => {
      if (trace.enabled) trace.emit({ ...e });
    });
    const compatible = c.compatible[0] ?? c.kind;
    pse.push({
      path: c.path,
      compatible,
      lifecycle,
      model: new PseControllerModel(c.pis.length),
      piNames: c.pis.map((p) => p.path?.split('/').pop() ?? `pi${p.index}`),
    });
    if (c.kind === 'ti,tps23881') {
      const parentPath = c.path.slice(0, c.path.lastIndexOf('/')) || '/';
      const addr = Number.parseInt(c.path.split('@').pop() ?? '', 16);
      let spec = i2cByPath.get(parentPath);
      if (!spec) {
        spec = { path: parentPath, bus: new I2cBus(), devices: [] };
        i2cByPath.set(parentPath, spec);
      }
      if (Number.isInteger(addr) && addr >= 0 && addr <= 0x7f) {
        spec.bus.attach(addr, new Tps23881({ isPresent: () => lifecycle.isPresent() }));
        spec.devices.push({ addr, path: c.path, compatible });
      }
    }
  }
  for (const p of pse) p.lifecycle.start();

  const allPhys = () => mdio.flatMap((b) => [...b.phys.values()]);
  const board: Board = {
    clock,
    trace,
    mdio,
    i2c: [...i2cByPath.values()],
    pse,
    events: new Map(),
    timeline: options.timeline ?? [],
    realtime: options.realtime ?? false,
  };
  board.events.set('pse-load', () => {
    pse.forEach((p) => {
      p.lifecycle.trigger();
    });
  });
  board.events.set('pse-unload', () => {
    pse.forEach((p) => {
      p.lifecycle.unregister('driver unloaded');
    });
  });
  board.events.set('cable-unplug', () => {
    allPhys().forEach((p) => {
      p.phy.unplug();
    });
  });
  board.events.set('cable-plug', () => {
    allPhys().forEach((p) => {
      p.phy.plug();
    });
  });
  for (const [module, compatible] of Object.entries(PSE_DRIVER_OF)) {
    const mine = () => pse.filter((p) => p.compatible === compatible);
    board.events.set(`load-module:${module}`, () => {
      mine().forEach((p) => {
        p.lifecycle.trigger();
      });
    });
    board.events.set(`unload-module:${module}`, () => {
      mine().forEach((p) => {
        p.lifecycle.unregister(`rmmod ${module}`);
      });
    });
  }
  for (const [name, run] of options.extraEvents ?? [])
    board.events.set(name, () => {
      run(board);
    });
  return board;
}

/** The built-in default: dts/default-board.dts with its PSE driver loading 2 s in. */
export function defaultBoardTimeline(): [number, string][] {
  return [[ms(2000) / 1_000_000, 'pse-load']];
}
