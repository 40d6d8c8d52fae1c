import test from 'ava';
import { checkPseBindings, hasErrors, PseCode, type PseBindingReport } from '../../src/bindings/pse.js';
import { buildTree, cells, strs, ref, mdioWithPhys, type NodeSpec } from './pse-tree.js';

const regulator = (label: string): NodeSpec => ({
  name: `regulator-${label}`,
  label,
  props: { compatible: strs('regulator-fixed'), 'regulator-min-microvolt': cells(54000000) },
});

const podl = (label = 'pse0', extra: NodeSpec['props'] = {}): NodeSpec => ({
  name: 'ethernet-pse',
  label,
  props: {
    compatible: strs('podl-pse-regulator'),
    'pse-supply': cells(ref('reg_pse')),
    '#pse-cells': cells(0),
    ...extra,
  },
});

/** The ti,tps23881.yaml example, with one more 2-pair PI on channel 5 (second 4-channel group). */
const tps23881 = (): NodeSpec => ({
  name: 'i2c',
  props: { '#address-cells': cells(1), '#size-cells': cells(0) },
  children: [
    {
      name: 'ethernet-pse@20',
      label: 'tps',
      props: { compatible: strs('ti,tps23881'), reg: cells(0x20) },
      children: [
        {
          name: 'channels',
          props: { '#address-cells': cells(1), '#size-cells': cells(0) },
          children: [0, 1, 2, 5].map((n) => ({
            name: `channel@${n}`,
            label: `phys${n}`,
            props: { reg: cells(n) },
          })),
        },
        {
          name: 'pse-pis',
          props: { '#address-cells': cells(1), '#size-cells': cells(0) },
          children: [
            {
              name: 'pse-pi@0',
              label: 'pse_pi0',
              props: {
                reg: cells(0),
                '#pse-cells': cells(0),
                'pairset-names': strs('alternative-a', 'alternative-b'),
                pairsets: cells(ref('phys0'), ref('phys1')),
                'polarity-supported': strs('MDI', 'S'),
                'vpwr-supply': cells(ref('vpwr1')),
              },
            },
            {
              name: 'pse-pi@1',
              label: 'pse_pi1',
              props: {
                reg: cells(1),
                '#pse-cells': cells(0),
                'pairset-names': strs('alternative-a'),
                pairsets: cells(ref('phys2')),
                'polarity-supported': strs('MDI'),
              },
            },
            {
              name: 'pse-pi@2',
              label: 'pse_pi2',
              props: {
                reg: cells(2),
                '#pse-cells': cells(0),
                'pairset-names': strs('alternative-b'),
                pairsets: cells(ref('phys5')),
              },
            },
          ],
        },
      ],
    },
  ],
});

function codes(r: PseBindingReport): string[] {
  return r.diagnostics.map((d) => d.code);
}

test('PoDL regulator with a single PHY resolves to PI 0 and reports nothing', (t) => {
  const tree = buildTree([regulator('reg_pse'), podl(), mdioWithPhys([[ref('pse0')]])]);
  const r = checkPseBindings(tree.root);
  t.deepEqual(r.diagnostics, []);
  t.deepEqual(r.links, [{ phy: '/mdio/ethernet-phy@0', controller: '/ethernet-pse', pi: 0, pairsets: [] }]);
  t.is(r.controllers[0]?.kind, 'podl-pse-regulator');
  t.is(r.controllers[0]?.pseSupply, '/regulator-reg_pse');
});

test('TPS23881 with several PIs maps each PHY to its PI, pairsets and channels', (t) => {
  const tree = buildTree([
    regulator('vpwr1'),
    tps23881(),
    mdioWithPhys([[ref('pse_pi0')], [ref('pse_pi1')], [ref('pse_pi2')]]),
  ]);
  const r = checkPseBindings(tree.root);
  t.deepEqual(codes(r), []);
  const ctl = '/i2c/ethernet-pse@20';
  t.deepEqual(r.links, [
    {
      phy: '/mdio/ethernet-phy@0',
      controller: ctl,
      pi: 0,
      piPath: `${ctl}/pse-pis/pse-pi@0`,
      pairsets: [
        { name: 'alternative-a', path: `${ctl}/channels/channel@0`, channel: 0 },
        { name: 'alternative-b', path: `${ctl}/channels/channel@1`, channel: 1 },
      ],
    },
    {
      phy: '/mdio/ethernet-phy@1',
      controller: ctl,
      pi: 1,
      piPath: `${ctl}/pse-pis/pse-pi@1`,
      pairsets: [{ name: 'alternative-a', path: `${ctl}/channels/channel@2`, channel: 2 }],
    },
    {
      phy: '/mdio/ethernet-phy@2',
      controller: ctl,
      pi: 2,
      piPath: `${ctl}/pse-pis/pse-pi@2`,
      pairsets: [{ name: 'alternative-b', path: `${ctl}/channels/channel@5`, channel: 5 }],
    },
  ]);
  t.is(r.controllers[0]?.nrLines, 8);
  t.deepEqual(r.controllers[0]?.pis[0]?.polarity, ['MDI', 'S']);
  t.is(r.controllers[0]?.pis[0]?.vpwrSupply, '/regulator-vpwr1');
});

test('legacy #pse-cells = <1> controller: the cell is the PI index', (t) => {
  const ctl: NodeSpec = {
    name: 'ethernet-pse@3c',
    label: 'pse',
    props: { compatible: strs('ti,tps23881'), reg: cells(0x3c), '#pse-cells': cells(1) },
  };
  const r = checkPseBindings(
    buildTree([
      ctl,
      mdioWithPhys([
        [ref('pse'), 3],
        [ref('pse'), 7],
      ]),
    ]).root,
  );
  t.deepEqual(codes(r), []);
  t.deepEqual(
    r.links.map((l) => [l.phy, l.pi]),
    [
      ['/mdio/ethernet-phy@0', 3],
      ['/mdio/ethernet-phy@1', 7],
    ],
  );
});

test('dangling pses is reported on the PHY node', (t) => {
  const r = checkPseBindings(
    buildTree([regulator('reg_pse'), podl(), mdioWithPhys([[ref('pse0')], [ref('nothing')]])]).root,
  );
  const d = r.diagnostics.filter((x) => x.code === PseCode.DANGLING);
  t.is(d.length, 1);
  t.is(d[0]?.path, '/mdio/ethernet-phy@1');
  t.true(hasErrors(r));
});

test('wrong-arity pses: extra cell for #pse-cells = <0>, missing cell for <1>, index out of range', (t) => {
  const ctl1: NodeSpec = {
    name: 'ethernet-pse@20',
    label: 'tps',
    props: { compatible: strs('ti,tps23881'), reg: cells(0x20), '#pse-cells': cells(1) },
  };
  const r = checkPseBindings(
    buildTree([
      regulator('reg_pse'),
      podl(),
      ctl1,
      mdioWithPhys([[ref('pse0'), 0], [ref('tps')], [ref('tps'), 8]]),
    ]).root,
  );
  const arity = r.diagnostics.filter((x) => x.code === PseCode.ARITY).map((x) => x.path);
  // tps23881 registers TPS23881_MAX_CHANS = 8 lines, so index 8 is out of range (psec_id_xlate -> -EINVAL).
  t.deepEqual(arity, ['/mdio/ethernet-phy@0', '/mdio/ethernet-phy@1', '/mdio/ethernet-phy@2']);
});

test('a PI referenced by two PHYs is reported on the second, naming the first', (t) => {
  const tree = buildTree([
    regulator('vpwr1'),
    tps23881(),
    mdioWithPhys([[ref('pse_pi0')], [ref('pse_pi1')], [ref('pse_pi0')]]),
  ]);
  const r = checkPseBindings(tree.root);
  const d = r.diagnostics.filter((x) => x.code === PseCode.PI_SHARED);
  t.is(d.length, 1);
  t.is(d[0]?.path, '/mdio/ethernet-phy@2');
  t.deepEqual(d[0]?.relatedPaths, ['/mdio/ethernet-phy@0']);
});

test('PHYs whose PSE does not exist: not a PSE, a disabled controller, a controller with pse-pis referenced directly', (t) => {
  const disabled = podl('pse1', { status: strs('disabled') });
  disabled.name = 'ethernet-pse-1';
  const tree = buildTree([
    regulator('reg_pse'),
    regulator('vpwr1'),
    disabled,
    tps23881(),
    mdioWithPhys([[ref('reg_pse')], [ref('pse1')], [ref('tps')]]),
  ]);
  // regulator-fixed has no #pse-cells, so add one to reach the "not a PSE" check rather than arity.
  const reg = tree.root.children.find((c) => c.name === 'regulator-reg_pse')!;
  reg.properties.push({
    name: '#pse-cells',
    labels: [],
    value: { bytes: new Uint8Array(4), markers: [] },
    deleted: false,
  });
  const tpsNode = tree.root.children.find((c) => c.name === 'i2c')!.children[0]!;
  tpsNode.properties.push({
    name: '#pse-cells',
    labels: [],
    value: { bytes: new Uint8Array(4), markers: [] },
    deleted: false,
  });
  const r = checkPseBindings(tree.root);
  const missing = r.diagnostics.filter((x) => x.code === PseCode.PSE_MISSING).map((x) => x.path);
  t.deepEqual(missing, ['/mdio/ethernet-phy@0', '/mdio/ethernet-phy@1', '/mdio/ethernet-phy@2']);
});

test('a controller no PHY uses is reported as a warning with its path', (t) => {
  const r = checkPseBindings(
    buildTree([regulator('reg_pse'), regulator('vpwr1'), podl(), tps23881(), mdioWithPhys([[ref('pse0')]])])
      .root,
  );
  const d = r.diagnostics.filter((x) => x.code === PseCode.UNUSED);
  t.deepEqual(
    d.map((x) => [x.path, x.severity]),
    [['/i2c/ethernet-pse@20', 'warning']],
  );
  t.false(hasErrors(r));
});

test('pse-pi shape errors: identical pinouts, count mismatch, bad names, bad polarity, duplicate reg, #pse-cells', (t) => {
  const pi = (n: number, props: NodeSpec['props']): NodeSpec => ({
    name: `pse-pi@${n}`,
    label: `pi${n}`,
    props: { reg: cells(n), '#pse-cells': cells(0), ...props },
  });
  const ctl: NodeSpec = {
    name: 'ethernet-pse@10',
    props: { compatible: strs('vendor,some-pse'), reg: cells(0x10) },
    children: [
      {
        name: 's',
        children: [
          { name: 'a', label: 'sa' },
          { name: 'b', label: 'sb' },
        ],
      },
      {
        name: 'pse-pis',
        props: { '#address-cells': cells(1), '#size-cells': cells(0) },
        children: [
          pi(0, {
            'pairset-names': strs('alternative-a', 'alternative-a'),
            pairsets: cells(ref('sa'), ref('sb')),
          }),
          pi(1, { 'pairset-names': strs('alternative-a'), pairsets: cells(ref('sa'), ref('sb')) }),
          pi(2, { 'pairset-names': strs('alternative-c'), pairsets: cells(ref('sa')) }),
          pi(3, { 'polarity-supported': strs('MDI', 'Q') }),
          { name: 'pse-pi@4', props: { reg: cells(3), '#pse-cells': cells(0) } },
          { name: 'pse-pi@5', props: { reg: cells(5), '#pse-cells': cells(1) } },
        ],
      },
    ],
  };
  const r = checkPseBindings(
    buildTree([ctl, mdioWithPhys([[ref('pi0')], [ref('pi1')], [ref('pi2')], [ref('pi3')]])]).root,
  );
  const by = (code: string): string[] => r.diagnostics.filter((d) => d.code === code).map((d) => d.path);
  const base = '/ethernet-pse@10/pse-pis';
  t.deepEqual(by(PseCode.PAIRSETS), [`${base}/pse-pi@0`, `${base}/pse-pi@1`, `${base}/pse-pi@2`]);
  t.deepEqual(by(PseCode.POLARITY), [`${base}/pse-pi@3`]);
  t.deepEqual(by(PseCode.PI_REG), [`${base}/pse-pi@4`]);
  t.deepEqual(by(PseCode.PI_CELLS), [`${base}/pse-pi@5`]);
});

test('tps23881 driver rules: a channel claimed by two PIs, and a 4-pair PI across the two 4-channel groups', (t) => {
  const tree = buildTree([
    regulator('vpwr1'),
    tps23881(),
    mdioWithPhys([[ref('pse_pi0')], [ref('pse_pi1')], [ref('pse_pi2')]]),
  ]);
  const pis = tree.root.children
    .find((c) => c.name === 'i2c')!
    .children[0]!.children.find((c) => c.name === 'pse-pis')!;
  const pairsetsOf = (i: number) => pis.children[i]!.properties.find((p) => p.name === 'pairsets')!;
  const phandle = (label: string): number => {
    const chans = tree.root.children.find((c) => c.name === 'i2c')!.children[0]!.children[0]!;
    const ch = chans.children.find((c) => c.labels.includes(label))!;
    if (ch.phandle === 0) ch.phandle = 100 + Number(label.slice(4));
    return ch.phandle;
  };
  const setCells = (i: number, ...phs: number[]): void => {
    const bytes = new Uint8Array(phs.length * 4);
    phs.forEach((p, k) => new DataView(bytes.buffer).setUint32(k * 4, p));
    pairsetsOf(i).value = { bytes, markers: [] };
  };
  setCells(0, phandle('phys2'), phandle('phys5')); // 4-pair across groups 0-3 and 4-7
  // pse-pi@1 keeps channel 2, which pse-pi@0 now claims first.
  const r = checkPseBindings(tree.root);
  const rules = r.diagnostics.filter((d) => d.code === PseCode.DEVICE_RULE).map((d) => d.message);
  t.true(rules.some((m) => m.includes('same 4 ports group')));
  t.true(rules.some((m) => m.includes('channel 2 already used')));
});

test('controller shape: neither #pse-cells nor pse-pis, and podl without pse-supply', (t) => {
  const bare: NodeSpec = {
    name: 'ethernet-pse@30',
    props: { compatible: strs('ti,tps23881'), reg: cells(0x30) },
  };
  const noSupply: NodeSpec = {
    name: 'ethernet-pse',
    label: 'p',
    props: { compatible: strs('podl-pse-regulator'), '#pse-cells': cells(0) },
  };
  const r = checkPseBindings(buildTree([bare, noSupply, mdioWithPhys([[ref('p')]])]).root);
  t.deepEqual(
    r.diagnostics.filter((d) => d.code === PseCode.CONTROLLER_SHAPE).map((d) => d.path),
    ['/ethernet-pse@30'],
  );
  t.deepEqual(
    r.diagnostics.filter((d) => d.code === PseCode.SUPPLY).map((d) => d.path),
    ['/ethernet-pse'],
  );
});

test('microchip,pd692x0: ports number on across managers; pse-pis is required', (t) => {
  const port = (n: number, label?: string): NodeSpec => ({
    name: `port@${n}`,
    ...(label ? { label } : {}),
    props: { reg: cells(n) },
  });
  const ctl: NodeSpec = {
    name: 'ethernet-pse@3c',
    props: { compatible: strs('microchip,pd69200'), reg: cells(0x3c) },
    children: [
      {
        name: 'managers',
        props: { '#address-cells': cells(1), '#size-cells': cells(0) },
        children: [
          { name: 'manager@0', props: { reg: cells(0) }, children: [port(0), port(1), port(2), port(3)] },
          {
            name: 'manager@1',
            props: { reg: cells(1) },
            children: [port(0, 'p4'), port(1, 'p5'), port(2), port(3)],
          },
        ],
      },
      {
        name: 'pse-pis',
        props: { '#address-cells': cells(1), '#size-cells': cells(0) },
        children: [
          {
            name: 'pse-pi@0',
            label: 'pi0',
            props: {
              reg: cells(0),
              '#pse-cells': cells(0),
              'pairset-names': strs('alternative-a', 'alternative-b'),
              pairsets: cells(ref('p4'), ref('p5')),
            },
          },
        ],
      },
    ],
  };
  const r = checkPseBindings(buildTree([ctl, mdioWithPhys([[ref('pi0')]])]).root);
  t.deepEqual(codes(r), []);
  t.deepEqual(
    r.links[0]?.pairsets.map((p) => p.channel),
    [4, 5],
  );
  const noPis: NodeSpec = {
    name: 'ethernet-pse@3d',
    props: { compatible: strs('microchip,pd69210'), reg: cells(0x3d), '#pse-cells': cells(1) },
  };
  const r2 = checkPseBindings(buildTree([noPis]).root);
  t.true(r2.diagnostics.some((d) => d.code === PseCode.DEVICE_RULE && d.path === '/ethernet-pse@3d'));
});
