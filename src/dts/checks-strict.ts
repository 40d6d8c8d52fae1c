import { getProperty, liveChildren, nodeBasename, type LiveNode } from './build.js';
import { at, cString, rawAddrCells, rawSizeCells, uniqueUnitAddresses } from './checks-buses.js';
import type { CheckDef } from './checks.js';

/** dtc 1.6.1 checks.c CHECK() entries: off unless asked for with -W/-E, then printed as dtc prints them. */

const STRICT = /^[a-zA-Z0-9,-]*/;
const strictSpan = (s: string): number => STRICT.exec(s)?.[0].length ?? 0;

export const propertyNameCharsStrict: CheckDef = {
  name: 'property_name_chars_strict',
  level: 'off',
  prereqs: [],
  run: (_ctx, node, fail) => {
    for (const p of node.props) {
      if (p.deleted || p.name === 'device_type') continue;
      let name = p.name;
      let n = strictSpan(name);
      if (n === name.length) continue;
      // '#' may only start a name, after an optional vendor prefix ("vendor,#foo-cells").
      if (name[n] === '#' && (n === 0 || name[n - 1] === ',')) {
        name = name.slice(n + 1);
        n = strictSpan(name);
      }
      if (n < name.length) fail(`${at(node, p)}Character '${name[n] ?? ''}' not recommended in property name`, p.span);
    }
  },
};

export const nodeNameCharsStrict: CheckDef = {
  name: 'node_name_chars_strict',
  level: 'off',
  prereqs: [],
  run: (_ctx, node, fail) => {
    const n = strictSpan(node.name);
    if (n < nodeBasename(node).length) fail(`${at(node)}Character '${node.name[n] ?? ''}' not recommended in node name`, node.span);
  },
};

const isDisabled = (node: LiveNode): boolean => {
  const status = getProperty(node, 'status');
  return status !== undefined && cString(status) === 'disabled';
};

/** unique_unit_address ignoring children with status = "disabled". */
export const uniqueUnitAddressIfEnabled: CheckDef = {
  name: 'unique_unit_address_if_enabled',
  level: 'off',
  prereqs: ['avoid_default_addr_size'],
  run: (_ctx, node, fail) => {
    if (rawAddrCells(node) < 0 || rawSizeCells(node) < 0) return;
    uniqueUnitAddresses(liveChildren(node).filter((k) => !isDisabled(k)), fail);
  },
};
