import { getProperty, type LiveNode, type LiveProperty } from './build.js';
import { at } from './checks-buses.js';
import type { CheckDef } from './checks.js';
import type { Span } from '../diagnostics/source.js';

/** dtc 1.6.1 checks.c property-style checks of /chosen and of GPIO property names. */

/** checks.c data_is_one_string: one NUL, at the end. */
function isOneString(p: LiveProperty): boolean {
  const b = p.data.bytes;
  return b.length > 0 && b.indexOf(0) === b.length - 1;
}

function stringCheck(node: LiveNode, p: LiveProperty, fail: (m: string, s?: Span) => void): void {
  if (!isOneString(p)) fail(`${at(node, p)}property is not a string`, p.span);
}

export const chosenNodeBootargs: CheckDef = {
  name: 'chosen_node_bootargs',
  level: 'warning',
  prereqs: [],
  run: (_ctx, node, fail) => {
    if (node.name !== 'chosen') return;
    const p = getProperty(node, 'bootargs');
    if (p) stringCheck(node, p, fail);
  },
};

export const chosenNodeStdoutPath: CheckDef = {
  name: 'chosen_node_stdout_path',
  level: 'warning',
  prereqs: [],
  run: (_ctx, node, fail) => {
    if (node.name !== 'chosen') return;
    let p = getProperty(node, 'stdout-path');
    if (!p) {
      p = getProperty(node, 'linux,stdout-path');
      if (!p) return;
      fail(`${at(node, p)}Use 'stdout-path' instead`, p.span);
    }
    stringCheck(node, p, fail);
  },
};

/** Off unless asked for (`-W deprecated_gpio_property`), as dtc's CHECK() entries are. */
export const deprecatedGpioProperty: CheckDef = {
  name: 'deprecated_gpio_property',
  level: 'off',
  prereqs: [],
  run: (_ctx, node, fail) => {
    for (const p of node.props) {
      if (p.deleted || p.name.endsWith(',nr-gpios')) continue;
      if (p.name.endsWith('-gpio') || p.name === 'gpio') fail(`${at(node, p)}'[*-]gpio' is deprecated, use '[*-]gpios' instead`, p.span);
    }
  },
};
