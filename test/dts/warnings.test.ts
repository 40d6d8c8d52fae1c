import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ourMessages, runConformance } from '../../scripts/dtc-conformance.js';
import { checksFor, type CheckLevel } from '../../src/dts/checks.js';
import { applyCheckOption, compileDts } from '../../src/dts/compile.js';
import { DTC_GENERATIONS, hostAt, missingReason, testDir } from './dtc-reference.js';

/**
 * Warning parity with each generation's reference dtc on fixtures written to make each check of NEW_CHECKS
 * (checks-buses.ts, checks-interrupts.ts, checks-graph.ts, checks-chosen.ts, checks-strict.ts and the
 * providers' *_is_cell) fire at least once: the same warnings (check, text and line), the same DTB and DTS
 * output. dtc's own test inputs are compared the same way in conformance.test.ts.
 */

const NEW_CHECKS = new Set([
  'unit_address_format',
  'pci_bridge',
  'pci_device_reg',
  'pci_device_bus_num',
  'simple_bus_bridge',
  'simple_bus_reg',
  'i2c_bus_bridge',
  'i2c_bus_reg',
  'spi_bus_bridge',
  'spi_bus_reg',
  'avoid_unnecessary_addr_size',
  'unique_unit_address',
  'interrupts_property',
  'interrupt_provider',
  'interrupt_map',
  'graph_nodes',
  'graph_child_address',
  'graph_port',
  'graph_endpoint',
  'obsolete_chosen_interrupt_controller',
  'chosen_node_bootargs',
  'chosen_node_stdout_path',
  'clocks_is_cell',
  'gpios_property',
  'property_name_chars_strict',
  'node_name_chars_strict',
  'unique_unit_address_if_enabled',
  'deprecated_gpio_property',
]);

/** Fixtures of checks that are off by default, and the -W options both compilers get for them. */
const ENABLED: Readonly<Record<string, readonly string[]>> = {
  'strict.dts': ['property_name_chars_strict', 'node_name_chars_strict', 'unique_unit_address_if_enabled', 'deprecated_gpio_property'],
};
const checkFlags = (file: string): string[] => (ENABLED[file] ?? []).flatMap((name) => ['-W', name]);

const fixtureDir = join(testDir, 'fixtures/warnings');
const fixtures = readdirSync(fixtureDir).filter((f) => f.endsWith('.dts'));

for (const generation of DTC_GENERATIONS) {
  const missing = missingReason(generation);
  if (missing) {
    test.skip(`dtc ${generation}: warning parity on the check fixtures (${missing})`, () => undefined);
    continue;
  }
  test(`dtc ${generation}: ${fixtures.length} fixtures exercising each bus, interrupt, graph and chosen check print dtc's warnings`, (t) => {
    const results = runConformance(generation, { dir: fixtureDir, files: fixtures, lines: true, checkFlags }) ?? [];
    t.deepEqual(
      results.flatMap((r) => r.problems.map((p) => `${r.file}${p}`)),
      [],
    );
    // Every check of this generation in NEW_CHECKS fires somewhere: simple_bus_bridge cannot fail, and
    // graph_nodes only fails on a root endpoint, which crashes dtc 1.6.1 (dtc's bad-graph-root inputs cover it).
    const fired = new Set<string>();
    for (const file of fixtures) {
      const checkLevels = new Map<string, CheckLevel>();
      for (const name of ENABLED[file] ?? []) applyCheckOption(checkLevels, 'W', name, generation);
      const r = compileDts(readFileSync(join(fixtureDir, file)), { fileName: file, host: hostAt(fixtureDir), includeDirs: ['.'], checkLevels, compat: generation });
      for (const m of ourMessages(r.diagnostics, r.files)) fired.add(m.kind.split(' ')[1] ?? '');
    }
    const table = new Set(checksFor(generation).map((c) => c.name));
    t.deepEqual(
      [...NEW_CHECKS].filter((c) => table.has(c) && !fired.has(c)),
      ['simple_bus_bridge', 'graph_nodes'],
    );
  });
}
