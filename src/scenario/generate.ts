import { DP83867_ID, MARVELL_88E1510_ID, RTL8211F_ID } from '../phy/index.js';
import { ConfigError } from './errors.js';
import { formatScenario } from './migrate.js';
import { SCENARIO_FORMAT } from './types.js';

/**
 * Device trees and scenario files from a few parameters (`mdio-emu scenario generate`). Pure: returns file
 * names and texts; the CLI writes them. The DTS is laid out as a person writes it (tabs, labels, a blank
 * line between sibling nodes) and compiles without warnings with our compiler and with dtc; QEMU targets
 * are fragments merged onto QEMU's virt tree, so they compile on top of its PCIe host bridge.
 */
export type PhyModel = 'marvell-88e1510' | 'realtek-rtl8211f' | 'ti-dp83867';
export type PseKind = 'podl' | 'tps23881' | 'none';
export type Ordering = 'pse-first' | 'phy-first' | 'pse-never' | 'pse-removed' | 'flapping';
export type Target = 'standalone' | 'qemu-virt';

export interface GenerateParams {
  /** File base name; derived from the parameters when absent. */
  name?: string;
  buses: number;
  physPerBus: number;
  /** Models assigned to the PHYs in turn. */
  phyModels: PhyModel[];
  pse: PseKind;
  /** TPS23881 PIs (one channel each), 1-8. */
  psePorts: number;
  /** How many PHYs of each bus, from the first, carry `pses`. */
  psePhysPerBus: number;
  ordering: Ordering;
  target: Target;
}

export interface GeneratedFile {
  name: string;
  text: string;
}

export const PHY_MODELS: Record<PhyModel, { id: number; description: string }> = {
  'marvell-88e1510': { id: MARVELL_88E1510_ID, description: 'Marvell 88E1510' },
  'realtek-rtl8211f': { id: RTL8211F_ID, description: 'Realtek RTL8211F' },
  'ti-dp83867': { id: DP83867_ID, description: 'TI DP83867' },
};
/** The model of `--phy-model`'s default, and the only one the QEMU runner's USB-MDIO adapter is tested with. */
const DEFAULT_MODEL: PhyModel = 'marvell-88e1510';
const ORDERINGS: readonly Ordering[] = ['pse-first', 'phy-first', 'pse-never', 'pse-removed', 'flapping'];
/** qemu-xhci USB2 ports are raw ports 5-8 (src/qemu/machine.ts). */
const QEMU_FIRST_USB2_REG = 5;
const QEMU_USB2_PORTS = 4;
const TPS23881_MAX_CHANS = 8;

export const DEFAULT_PARAMS: GenerateParams = {
  buses: 1,
  physPerBus: 2,
  phyModels: [DEFAULT_MODEL],
  pse: 'podl',
  psePorts: 4,
  psePhysPerBus: 1,
  ordering: 'phy-first',
  target: 'standalone',
};

export function defaultName(p: GenerateParams): string {
  const shape = p.buses === 1 && p.physPerBus === 1 ? '' : `-${p.buses}x${p.physPerBus}`;
  const pse = p.pse === 'tps23881' ? `tps23881x${p.psePorts}` : p.pse;
  return `gen-${p.target === 'qemu-virt' ? 'qemu-' : ''}${pse}-${p.ordering}${shape}`;
}

/** Checks the parameters; every error names the CLI option to change. */
export function checkParams(p: GenerateParams): void {
  const bad = (field: string, detail: string): never => {
    throw new ConfigError('SCN004', field, detail);
  };
  if (!Number.isInteger(p.buses) || p.buses < 1) bad('--buses', `expected at least 1 bus, got ${p.buses}`);
  if (!Number.isInteger(p.physPerBus) || p.physPerBus < 1 || p.physPerBus > 31)
    bad('--phys', `expected 1-31 PHYs per bus, got ${p.physPerBus}`);
  if (p.phyModels.length === 0) bad('--phy-model', 'name at least one PHY model');
  for (const m of p.phyModels)
    if (!(m in PHY_MODELS))
      bad('--phy-model', `unknown PHY model "${m}" (known: ${Object.keys(PHY_MODELS).join(', ')})`);
  if (!ORDERINGS.includes(p.ordering))
    bad('--ordering', `expected one of ${ORDERINGS.join(', ')}, got "${p.ordering}"`);
  if (!Number.isInteger(p.psePhysPerBus) || p.psePhysPerBus < 0 || p.psePhysPerBus > p.physPerBus)
    bad('--pse-phys', `expected 0-${p.physPerBus} PHYs per bus with pses, got ${p.psePhysPerBus}`);
  if (p.pse === 'none' && p.psePhysPerBus > 0)
    bad('--pse-phys', 'with --pse none no PHY can carry pses: use --pse-phys 0');
  if (p.pse !== 'none' && p.psePhysPerBus === 0)
    bad('--pse-phys', `with --pse ${p.pse} at least one PHY per bus must carry pses`);
  if (p.pse === 'none' && p.ordering !== 'pse-never')
    bad('--ordering', 'without a PSE the only ordering is pse-never');
  if (p.pse === 'tps23881') {
    if (!Number.isInteger(p.psePorts) || p.psePorts < 1 || p.psePorts > TPS23881_MAX_CHANS)
      bad('--pse-ports', `a TPS23881 has 1-${TPS23881_MAX_CHANS} ports, got ${p.psePorts}`);
    if (p.buses * p.psePhysPerBus > p.psePorts)
      bad(
        '--pse-ports',
        `${p.buses * p.psePhysPerBus} PHYs carry pses but the TPS23881 has ${p.psePorts} PIs: two PHYs cannot share one PI`,
      );
  }
  if (p.target === 'qemu-virt') {
    if (p.buses > QEMU_USB2_PORTS)
      bad(
        '--buses',
        `QEMU's xHCI has ${QEMU_USB2_PORTS} USB2 ports for USB-MDIO adapters, got ${p.buses} buses`,
      );
    if (p.pse === 'tps23881') bad('--pse', 'the QEMU guest has no I2C bus for a TPS23881: use --pse podl');
    if (p.phyModels.some((m) => m !== DEFAULT_MODEL))
      bad(
        '--phy-model',
        `the QEMU runner's USB-MDIO adapter serves ${PHY_MODELS[DEFAULT_MODEL].description} PHYs only`,
      );
  }
}

interface PhyPlan {
  bus: number;
  index: number;
  addr: number;
  label: string;
  model: PhyModel;
  /** Label of the `pses` target and the controller/port it stands for. */
  pse?: { ref: string; controller: string; port: number; deviceName: string };
}

function plan(p: GenerateParams): PhyPlan[] {
  const out: PhyPlan[] = [];
  let pseIndex = 0;
  for (let b = 0; b < p.buses; b++) {
    for (let i = 0; i < p.physPerBus; i++) {
      const n = b * p.physPerBus + i;
      const phy: PhyPlan = {
        bus: b,
        index: i,
        addr: i + 1,
        label: `phy${b}_${i}`,
        model: p.phyModels[n % p.phyModels.length] ?? DEFAULT_MODEL,
      };
      if (i < p.psePhysPerBus) {
        const k = pseIndex++;
        phy.pse =
          p.pse === 'tps23881'
            ? { ref: `pse_pi${k}`, controller: 'pse', port: k, deviceName: 'ethernet-pse@20' }
            : { ref: `pse${k}`, controller: `pse${k}`, port: 0, deviceName: `ethernet-pse-${k}` };
      }
      out.push(phy);
    }
  }
  return out;
}

export function generate(params: GenerateParams): GeneratedFile[] {
  checkParams(params);
  const name = params.name ?? defaultName(params);
  const phys = plan(params);
  const dts = params.target === 'qemu-virt' ? qemuDts(params, phys) : standaloneDts(params, phys);
  const scenario = scenarioJson(params, phys, name);
  return [
    { name: `${name}.dts`, text: dts },
    { name: `${name}.scenario.json`, text: scenario },
  ];
}

const hex = (n: number): string => n.toString(16);

function describe(p: GenerateParams): string {
  const models = [...new Set(p.phyModels)].map((m) => PHY_MODELS[m].description).join(', ');
  const pse =
    p.pse === 'podl'
      ? 'PoDL PSE regulators'
      : p.pse === 'tps23881'
        ? `a TPS23881 with ${p.psePorts} PIs`
        : 'no PSE';
  return `${p.buses} MDIO bus(es) of ${p.physPerBus} PHY(s) (${models}); ${pse}; ${p.psePhysPerBus} PHY(s) per bus carry pses; ordering ${p.ordering}`;
}

/**
 * Every PHY node names its model by ID compatible: a node without one gets the generic PHY with
 * src/bindings/mdio.ts DEFAULT_PHY_ID (as on a board, Linux would read whatever the silicon answers).
 */
function phyNode(phy: PhyPlan, indent: string): string[] {
  const lines = [`${indent}${phy.label}: ethernet-phy@${hex(phy.addr)} {`];
  const id = PHY_MODELS[phy.model].id;
  lines.push(
    `${indent}\tcompatible = "ethernet-phy-id${hex(id >>> 16).padStart(4, '0')}.${hex(id & 0xffff).padStart(4, '0')}", "ethernet-phy-ieee802.3-c22";`,
  );
  lines.push(`${indent}\treg = <${phy.addr}>;`);
  if (phy.pse) lines.push(`${indent}\tpses = <&${phy.pse.ref}>;`);
  lines.push(`${indent}};`);
  return lines;
}

/** Blank lines between sibling blocks, as dtc's own sources are laid out. */
function blocks(parts: string[][]): string[] {
  return parts.flatMap((p, i) => (i === 0 ? p : ['', ...p]));
}

function podlNodes(phys: PhyPlan[], indent: string): string[][] {
  const controllers = phys.flatMap((x) => (x.pse ? [x.pse] : []));
  if (controllers.length === 0) return [];
  const regulator = [
    `${indent}reg_pse: regulator-pse {`,
    `${indent}\tcompatible = "regulator-fixed";`,
    `${indent}\tregulator-name = "pse-supply";`,
    `${indent}\tregulator-min-microvolt = <54000000>;`,
    `${indent}\tregulator-max-microvolt = <54000000>;`,
    `${indent}};`,
  ];
  return [
    regulator,
    ...controllers.map((c) => [
      `${indent}${c.controller}: ${c.deviceName} {`,
      `${indent}\tcompatible = "podl-pse-regulator";`,
      `${indent}\tpse-supply = <&reg_pse>;`,
      `${indent}\t#pse-cells = <0>;`,
      `${indent}};`,
    ]),
  ];
}

function tps23881Nodes(p: GenerateParams, indent: string): string[] {
  const i2 = `${indent}\t`;
  const channels = Array.from(
    { length: p.psePorts },
    (_, k) => `${i2}\t\tchan${k}: channel@${k} {\n${i2}\t\t\treg = <${k}>;\n${i2}\t\t};`,
  );
  const pis = Array.from({ length: p.psePorts }, (_, k) =>
    [
      `${i2}\t\tpse_pi${k}: pse-pi@${k} {`,
      `${i2}\t\t\treg = <${k}>;`,
      `${i2}\t\t\t#pse-cells = <0>;`,
      `${i2}\t\t\tpairset-names = "alternative-a";`,
      `${i2}\t\t\tpairsets = <&chan${k}>;`,
      `${i2}\t\t\tpolarity-supported = "MDI";`,
      `${i2}\t\t\tvpwr-supply = <&reg_vpwr>;`,
      `${i2}\t\t};`,
    ].join('\n'),
  );
  return [
    `${indent}reg_vpwr: regulator-vpwr {`,
    `${indent}\tcompatible = "regulator-fixed";`,
    `${indent}\tregulator-name = "pse-vpwr";`,
    `${indent}\tregulator-min-microvolt = <54000000>;`,
    `${indent}\tregulator-max-microvolt = <54000000>;`,
    `${indent}};`,
    '',
    `${indent}i2c {`,
    `${indent}\t#address-cells = <1>;`,
    `${indent}\t#size-cells = <0>;`,
    '',
    `${i2}pse: ethernet-pse@20 {`,
    `${i2}\tcompatible = "ti,tps23881";`,
    `${i2}\treg = <0x20>;`,
    '',
    `${i2}\tchannels {`,
    `${i2}\t\t#address-cells = <1>;`,
    `${i2}\t\t#size-cells = <0>;`,
    '',
    channels.join('\n\n'),
    `${i2}\t};`,
    '',
    `${i2}\tpse-pis {`,
    `${i2}\t\t#address-cells = <1>;`,
    `${i2}\t\t#size-cells = <0>;`,
    '',
    pis.join('\n\n'),
    `${i2}\t};`,
    `${i2}};`,
    `${indent}};`,
  ];
}

function standaloneDts(p: GenerateParams, phys: PhyPlan[]): string {
  const buses = Array.from({ length: p.buses }, (_, b) => [
    `\tmdio${b}: mdio-${b} {`,
    '\t\t#address-cells = <1>;',
    '\t\t#size-cells = <0>;',
    '',
    ...blocks(phys.filter((x) => x.bus === b).map((x) => phyNode(x, '\t\t'))),
    '\t};',
  ]);
  const pse = p.pse === 'podl' ? podlNodes(phys, '\t') : p.pse === 'tps23881' ? [tps23881Nodes(p, '\t')] : [];
  return [
    `// Generated by \`mdio-emu scenario generate\`: ${describe(p)}.`,
    '',
    '/dts-v1/;',
    '',
    '/ {',
    '\tmodel = "mdio-emu generated board";',
    '\t#address-cells = <1>;',
    '\t#size-cells = <0>;',
    '',
    ...blocks([...buses, ...pse]),
    '};',
    '',
  ].join('\n');
}

function qemuDts(p: GenerateParams, phys: PhyPlan[]): string {
  const adapters = Array.from({ length: p.buses }, (_, b) => {
    const reg = QEMU_FIRST_USB2_REG + b;
    return [
      `\t\t// USB2 port ${b + 1} of qemu-xhci (raw port ${reg}): a Marvell USB-MDIO adapter (drivers/net/mdio/mdio-mvusb.c).`,
      `\t\tmvusb${b}: mdio@${hex(reg)} {`,
      '\t\t\tcompatible = "usb1286,1fa4";',
      `\t\t\treg = <${reg}>;`,
      '\t\t\t#address-cells = <1>;',
      '\t\t\t#size-cells = <0>;',
      '',
      ...blocks(phys.filter((x) => x.bus === b).map((x) => phyNode(x, '\t\t\t'))),
      '\t\t};',
    ];
  });
  const pse = podlNodes(phys, '\t');
  return [
    `// Generated by \`mdio-emu scenario generate --target qemu-virt\`: ${describe(p)}.`,
    "// Merged onto QEMU's arm64 virt tree by `mdio-emu qemu run`, so there is no /dts-v1/ header.",
    '',
    '&{/pcie@10000000} {',
    '\t// qemu-xhci at PCI slot 2: reg is bus << 16 | devfn << 8.',
    '\tusb@2,0 {',
    '\t\treg = <0x1000 0 0 0 0>;',
    '\t\t#address-cells = <1>;',
    '\t\t#size-cells = <0>;',
    '',
    ...blocks(adapters),
    '\t};',
    '};',
    ...(pse.length > 0 ? ['', '/ {', ...blocks(pse), '};'] : []),
    '',
  ].join('\n');
}

type Json = Record<string, unknown>;

function scenarioJson(p: GenerateParams, phys: PhyPlan[], name: string): string {
  const qemu = p.target === 'qemu-virt';
  const pseds = phys.flatMap((x) => (x.pse ? [{ ...x, pse: x.pse }] : []));
  const controllers = [...new Map(pseds.map((x) => [x.pse.controller, x.pse])).values()];
  const pseBuses = [...new Set(pseds.map((x) => x.bus))];
  const busRef = (b: number): string => `&${qemu ? 'mvusb' : 'mdio'}${b}`;
  const timeline: Json[] = [];
  const expect: Json[] = [];
  const register = (at: number, id: string | undefined, on: boolean): void => {
    if (qemu) {
      const first = on && !timeline.some((t) => t.action === 'load-module' && t.module === 'pse_regulator');
      if (first) timeline.push({ at, ...(id ? { id } : {}), action: 'load-module', module: 'pse_regulator' });
      else
        controllers.forEach((c, i) =>
          timeline.push({
            at,
            ...(id && i === 0 ? { id } : {}),
            action: on ? 'bind' : 'unbind',
            bus: 'platform',
            driver: 'PSE regulator',
            device: c.deviceName,
          }),
        );
    } else
      controllers.forEach((c, i) =>
        timeline.push({
          at,
          ...(id && i === 0 ? { id } : {}),
          action: on ? 'pse-register' : 'pse-unregister',
          controller: `&${c.controller}`,
        }),
      );
  };
  const busLoad = (): void => {
    if (qemu) timeline.push({ at: 0, id: 'mvusb-load', action: 'load-module', module: 'mdio-mvusb' });
  };
  const plugPds = (at: number): void => {
    if (qemu || p.pse === 'none') return;
    for (const x of pseds) {
      timeline.push({
        at,
        action: 'pd-connect',
        controller: `&${x.pse.controller}`,
        port: x.pse.port,
        class: 3,
      });
      expect.push({
        kind: 'pse-port',
        controller: `&${x.pse.controller}`,
        port: x.pse.port,
        power: 'delivering',
      });
    }
  };
  const registered = (x: PhyPlan): Json => ({
    kind: 'phy-registered',
    phy: `&${x.label}`,
    phyId: `0x${PHY_MODELS[x.model].id.toString(16).padStart(8, '0')}`,
  });
  let description: string;
  let end: number;
  /** The step that must wait for an event, not only for time: the PSE load after the deferral it resolves. */
  let waitForDeferral = false;
  switch (p.ordering) {
    case 'pse-first':
      description =
        'The PSE driver registers before the MDIO bus probes: no deferral, every PHY registers at once.';
      register(0, 'pse-load', true);
      busLoad();
      plugPds(500);
      for (const x of pseds)
        expect.push({ kind: 'first-access-after', phy: `&${x.label}`, after: 'pse-load', withinMs: 100 });
      end = 4000;
      break;
    case 'phy-first':
      description =
        'The MDIO bus probes first and defers (-EPROBE_DEFER) until the PSE driver registers 2 s later; only then are the PHYs read.';
      busLoad();
      register(2000, 'pse-load', true);
      waitForDeferral = pseBuses.length > 0;
      plugPds(2500);
      for (const b of pseBuses)
        expect.push({ kind: 'probe-deferred', device: busRef(b), before: 'pse-load' });
      for (const x of pseds)
        expect.push(
          { kind: 'no-access', phy: `&${x.label}`, before: 'pse-load' },
          { kind: 'first-access-after', phy: `&${x.label}`, after: 'pse-load', withinMs: 1000 },
        );
      end = 6000;
      break;
    case 'pse-never':
      description =
        'The PSE driver never registers: buses with a PHY that references it stay deferred and those PHYs are never read; the run ends on time.';
      busLoad();
      for (const b of pseBuses) expect.push({ kind: 'probe-deferred', device: busRef(b) });
      // The whole bus defers (of_mdiobus_register() unwinds), so its other PHYs stay unregistered too.
      for (const x of phys)
        if (pseBuses.includes(x.bus))
          expect.push(
            { kind: 'no-access', phy: `&${x.label}` },
            // From Linux 6.17 (PSE events) fwnode_mdiobus_register_phy() registers the PHY before asking
            // for its PSE and unregisters it on -EPROBE_DEFER: the device appears and goes away.
            { kind: 'phy-not-registered', phy: `&${x.label}`, ...(qemu ? { kernels: '<6.17' } : {}) },
          );
      end = 3000;
      break;
    case 'pse-removed':
      description =
        'The PSE driver unbinds while registered PHYs hold its pse_control: Linux 6.1 keeps the stale reference (no notifier).';
      register(0, 'pse-load', true);
      busLoad();
      register(2000, 'pse-unbind', false);
      if (!qemu) for (const x of pseds) expect.push({ kind: 'stale-pse', phy: `&${x.label}`, present: true });
      end = 4000;
      break;
    case 'flapping':
      description =
        'The PSE driver registers and unregisters twice, a second apart: the PHYs probe on the first registration and keep a stale reference after each unbind.';
      busLoad();
      register(1000, 'pse-load', true);
      waitForDeferral = pseBuses.length > 0;
      register(2000, undefined, false);
      register(3000, undefined, true);
      register(4000, 'pse-unbind', false);
      for (const b of pseBuses)
        expect.push({ kind: 'probe-deferred', device: busRef(b), before: 'pse-load' });
      for (const x of pseds) {
        expect.push({ kind: 'first-access-after', phy: `&${x.label}`, after: 'pse-load', withinMs: 1000 });
        if (!qemu) expect.push({ kind: 'stale-pse', phy: `&${x.label}`, present: true });
      }
      end = 6000;
      break;
  }
  const probes = (x: PhyPlan): boolean => p.ordering !== 'pse-never' || !pseBuses.includes(x.bus);
  for (const x of phys) if (probes(x)) expect.push(registered(x));
  // Link comes up once autoneg (1.5 s) has completed after the attach; the driver's next poll sees it.
  if (!qemu && p.ordering !== 'flapping')
    for (const x of phys) if (probes(x)) expect.push({ kind: 'phy-link', phy: `&${x.label}`, up: true });
  timeline.sort((a, b) => (a.at as number) - (b.at as number));
  // Format 2: each step follows the previous one by the same gap; the PSE load waits for the deferral too.
  let previous = 0;
  const firstPseBus = pseBuses[0];
  const steps = timeline.map(({ at, ...rest }) => {
    const time = at as number;
    const step: Json = {};
    if (rest.id !== undefined) step.id = rest.id;
    delete rest.id;
    if (waitForDeferral && step.id === 'pse-load' && firstPseBus !== undefined)
      step.after = { event: 'probe-deferred', device: busRef(firstPseBus) };
    if (time > previous) step.delayMs = time - previous;
    previous = time;
    return { ...step, ...rest };
  });
  const settleMs = Math.max(1000, end - previous);
  // On a real kernel with PSE notifications a PoDL regulator cannot register (src/scenario/known-bugs.ts), so
  // what needs the PSE fails there as that bug says; the kernel model is Linux 6.1 and never applies it.
  if (qemu && p.pse === 'podl') {
    // Unbinding or binding a PSE that never registered fails: the same bug's consequence.
    for (const step of steps)
      if (step.action === 'unbind' || step.action === 'bind') step.knownBug = 'pse-kfifo-nr-lines';
    const psed = new Set(pseds.map((x) => `&${x.label}`));
    for (const e of expect)
      if (e.kind === 'first-access-after' || (e.kind === 'phy-registered' && psed.has(e.phy as string)))
        e.knownBug = 'pse-kfifo-nr-lines';
  }
  return formatScenario({
    format: SCENARIO_FORMAT,
    name,
    description,
    dts: `${name}.dts`,
    settleMs,
    steps,
    expect,
  });
}

/** The scenario set shipped in dts/ (dts/README.md lists what each exercises). */
export const CANONICAL_SET: GenerateParams[] = [
  { ...DEFAULT_PARAMS, physPerBus: 1, ordering: 'pse-first' },
  { ...DEFAULT_PARAMS, ordering: 'phy-first' },
  { ...DEFAULT_PARAMS, ordering: 'pse-never' },
  { ...DEFAULT_PARAMS, physPerBus: 1, ordering: 'pse-removed' },
  { ...DEFAULT_PARAMS, physPerBus: 1, ordering: 'flapping' },
  {
    ...DEFAULT_PARAMS,
    buses: 2,
    physPerBus: 2,
    phyModels: ['marvell-88e1510', 'realtek-rtl8211f'],
    pse: 'tps23881',
    psePorts: 4,
    psePhysPerBus: 1,
    ordering: 'phy-first',
  },
  {
    ...DEFAULT_PARAMS,
    buses: 2,
    physPerBus: 3,
    phyModels: ['ti-dp83867', 'marvell-88e1510', 'realtek-rtl8211f'],
    pse: 'tps23881',
    psePorts: 8,
    psePhysPerBus: 2,
    ordering: 'pse-first',
  },
  {
    ...DEFAULT_PARAMS,
    physPerBus: 3,
    phyModels: ['ti-dp83867'],
    pse: 'none',
    psePhysPerBus: 0,
    ordering: 'pse-never',
  },
  { ...DEFAULT_PARAMS, physPerBus: 1, target: 'qemu-virt', ordering: 'phy-first' },
  { ...DEFAULT_PARAMS, buses: 2, physPerBus: 1, target: 'qemu-virt', ordering: 'pse-never' },
  { ...DEFAULT_PARAMS, physPerBus: 1, target: 'qemu-virt', ordering: 'pse-removed' },
];
