import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { checkPseBindings } from '../../src/bindings/pse.js';
import { compileDts } from '../../src/dts/compile.js';
import {
  CANONICAL_SET,
  DEFAULT_PARAMS,
  defaultName,
  generate,
  type GenerateParams,
} from '../../src/scenario/generate.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { ConfigError } from '../../src/scenario/errors.js';
import { QEMU_VIRT_STUB } from '../../src/scenario/qemu-virt-stub.js';
import { dtcVersion, hostAt, runDtc } from '../dts/dtc-reference.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The file dtc and our compiler both see: the DTS itself, or a QEMU fragment on the virt stand-in. */
function mainSource(p: GenerateParams, dtsName: string): string | undefined {
  return p.target === 'qemu-virt' ? `${QEMU_VIRT_STUB}/include/ "${dtsName}"\n` : undefined;
}

for (const params of CANONICAL_SET) {
  const name = defaultName(params);
  (dtcVersion ? test : test.skip)(
    `${name}: compiles with dtc without a warning, byte-identical with our compiler`,
    (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'gen-'));
      try {
        const files = generate(params);
        for (const f of files) writeFileSync(join(dir, f.name), f.text);
        const wrapper = mainSource(params, `${name}.dts`);
        const main = wrapper === undefined ? `${name}.dts` : 'main.dts';
        if (wrapper !== undefined) writeFileSync(join(dir, main), wrapper);
        const ref = runDtc(dir, ['-I', 'dts', '-O', 'dtb', main]);
        t.is(ref.status, 0, ref.stderr);
        t.is(ref.stderr, '', 'dtc printed warnings');
        const ours = compileDts(readFileSync(join(dir, main)), { fileName: main, host: hostAt(dir) });
        t.deepEqual(
          ours.diagnostics.map((d) => `${d.code} ${d.message}`),
          [],
        );
        t.true(
          ours.dtb !== undefined && Buffer.from(ours.dtb).equals(ref.stdout),
          'DTB bytes differ from dtc',
        );
        // Every PSE binding resolves, no controller is unused, no PI is shared.
        const report = checkPseBindings(ours.tree!.root);
        t.deepEqual(
          report.diagnostics.map((d) => `${d.code} ${d.message}`),
          [],
        );
        t.is(report.links.length, params.pse === 'none' ? 0 : params.buses * params.psePhysPerBus);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
  if (!dtcVersion) console.log('dtc is not installed: generated trees are not compared against it');

  test(`${name}: the copy shipped in dts/ is what the generator writes`, (t) => {
    for (const f of generate(params))
      t.is(
        readFileSync(join(repo, 'dts', f.name), 'utf8'),
        f.text,
        `dts/${f.name} is stale: run mdio-emu scenario generate --canonical --out dts`,
      );
  });
}

test('generated scenario JSON names its DTS and parses; the PSE load waits for the deferral it resolves', (t) => {
  const [dts, scenario] = generate({ ...DEFAULT_PARAMS, ordering: 'flapping' });
  const { scenario: s } = parseScenario(scenario!.text, scenario!.name);
  t.is(s.dts, dts!.name);
  t.deepEqual(
    s.steps.map((e) => [e.action.kind, e.delayMs]),
    [
      ['pse-register', 1000],
      ['pse-unregister', 1000],
      ['pse-register', 1000],
      ['pse-unregister', 1000],
    ],
  );
  t.deepEqual(s.steps[0]?.after, { kind: 'probe-deferred', device: '&mdio0' });
});

test('every PHY model appears as its ID compatible (a plain node would get the generic default PHY)', (t) => {
  const [dts] = generate({
    ...DEFAULT_PARAMS,
    physPerBus: 3,
    phyModels: ['marvell-88e1510', 'realtek-rtl8211f', 'ti-dp83867'],
  });
  // IDs from drivers/net/phy/realtek.c (RTL8211F 0x001cc916) and dp83867.c (0x2000a231).
  t.regex(
    dts!.text,
    /phy0_1: ethernet-phy@2 \{\n\t\t\tcompatible = "ethernet-phy-id001c\.c916", "ethernet-phy-ieee802\.3-c22";/,
  );
  t.regex(dts!.text, /compatible = "ethernet-phy-id2000\.a231"/);
  // marvell.c MARVELL_PHY_ID_88E1510 0x01410dd0.
  t.regex(
    dts!.text,
    /phy0_0: ethernet-phy@1 \{\n\t\t\tcompatible = "ethernet-phy-id0141\.0dd0", "ethernet-phy-ieee802\.3-c22";\n\t\t\treg = <1>;\n\t\t\tpses = <&pse0>;\n\t\t\};/,
  );
  t.notRegex(dts!.text, /ethernet-phy@[0-9a-f]+ \{\n\t\t\treg/);
});

test('impossible parameter sets are refused naming the option', (t) => {
  const refuse = (p: Partial<GenerateParams>, field: string) =>
    t.is(t.throws(() => generate({ ...DEFAULT_PARAMS, ...p }), { instanceOf: ConfigError }).field, field);
  refuse({ pse: 'tps23881', psePorts: 2, buses: 3, psePhysPerBus: 1 }, '--pse-ports');
  refuse({ pse: 'tps23881', psePorts: 9 }, '--pse-ports');
  refuse({ target: 'qemu-virt', buses: 5 }, '--buses');
  refuse({ target: 'qemu-virt', pse: 'tps23881' }, '--pse');
  refuse({ pse: 'none' }, '--pse-phys');
  refuse({ psePhysPerBus: 3, physPerBus: 2 }, '--pse-phys');
});
