import type { GuestAction } from './actions.js';
import type { Board, BoardMdioBus, BoardPse } from './board.js';

/** Module names as the kernel compares them: '-' and '_' are one, and a driver name names its module. */
export function moduleKey(name: string): string {
  return name.toLowerCase().replace(/\.ko$/, '').replace(/[-\s]/g, '_');
}

/**
 * What a guest act does to the drivers the board knows: which PSE controllers register with (or leave) the
 * PSE framework, and which MDIO buses' drivers come or go. One reading for the kernel model and the daemon:
 * `pse-register`/`pse-unregister` name a controller; loading or unloading a module, or binding or unbinding a
 * driver, affects the controllers and buses whose driver module it is (bind/unbind name one device: a
 * platform device of a root node is named after the node).
 */
export function driverEffects(
  board: Board,
  a: GuestAction,
): { pse: { controller: BoardPse; registered: boolean }[]; buses: { bus: BoardMdioBus; loaded: boolean }[] } {
  switch (a.kind) {
    case 'pse-register':
    case 'pse-unregister': {
      const c = board.pseAt(a.controller);
      return { pse: c ? [{ controller: c, registered: a.kind === 'pse-register' }] : [], buses: [] };
    }
    case 'load-module':
    case 'unload-module':
    case 'bind':
    case 'unbind': {
      const name = moduleKey(a.kind === 'load-module' || a.kind === 'unload-module' ? a.module : a.driver);
      const on = a.kind === 'load-module' || a.kind === 'bind';
      const device = a.kind === 'bind' || a.kind === 'unbind' ? a.device : undefined;
      const named = (path: string): boolean =>
        device === undefined || path === device || path.slice(path.lastIndexOf('/') + 1) === device;
      return {
        pse: board.pse
          .filter((c) => c.module === name && named(c.path))
          .map((controller) => ({ controller, registered: on })),
        buses: board.mdio
          .filter((b) => b.module === name && named(b.path))
          .map((bus) => ({ bus, loaded: on })),
      };
    }
    case 'run':
    case 'snapshot':
      return { pse: [], buses: [] };
  }
}
