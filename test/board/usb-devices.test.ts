import test from 'ava';
import { buildBoard, type Board } from '../../src/board/board.js';
import { VirtualClock } from '../../src/clock.js';
import { InputError } from '../../src/diagnostics/index.js';
import { compileDts } from '../../src/dts/compile.js';
import type { DeviceTree } from '../../src/dts/tree.js';
import type { Cp2112 } from '../../src/usbredir/index.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A board without QEMU: just the xHCI node the devices hang under. */
function board(devices: string): Board {
  return buildBoard(tree(devices), { clock: new VirtualClock(5_000_000) });
}

function tree(devices: string): DeviceTree {
  const source = `/dts-v1/;
/ { pcie@10000000 { #address-cells = <3>; #size-cells = <2>;
  usb@2,0 { reg = <0x1000 0 0 0 0>; #address-cells = <1>; #size-cells = <0>;
${devices}
  }; }; };`;
  const r = compileDts(source, { fileName: 'scenario.dts' });
  if (!r.ok || !r.tree) throw new Error(JSON.stringify(r.diagnostics));
  return r.tree;
}

const mvusb = `mdio@5 { compatible = "usb1286,1fa4"; reg = <5>; #address-cells = <1>; #size-cells = <0>;
  ethernet-phy@3 { compatible = "ethernet-phy-id0141.0dd0"; reg = <3>; }; };`;
const cp2615 = (
  eeprom: string,
): string => `i2c-bridge@6 { compatible = "usb10c4,eac1"; reg = <6>; #address-cells = <2>; #size-cells = <0>;
  interface@1,1 { reg = <1 1>; #address-cells = <1>; #size-cells = <0>; ${eeprom} }; };`;

/** One IN transfer's data, as the usbredir session would fetch it after an OUT. */
function inData(
  model: { dataIn?: (ep: number, max: number) => { data?: Uint8Array } | undefined },
  ep: number,
): Uint8Array {
  return model.dataIn?.(ep, 512)?.data ?? new Uint8Array(0);
}

test("the Marvell adapter serves the catalogue 88E1510 at the DT address, each transaction on the board's event stream", (t) => {
  const b = board(mvusb);
  const trace: [string, string, number, number, number, number][] = [];
  b.events.on((e) => {
    if (e.type === 'mdio.read' || e.type === 'mdio.write')
      trace.push([e.bus, e.type, e.addr, e.reg, e.value, e.t]);
  });
  const [dev] = b.usb;
  t.is(dev?.reg, 5);
  const read = (phy: number, reg: number): number => {
    // mdio-mvusb.c: read = 0xe800, 0x0001, 0xa400 | phy << 5 | reg (little-endian words), answer on 0x86.
    const cmd = new Uint8Array(6);
    const v = new DataView(cmd.buffer);
    v.setUint16(0, 0xe800, true);
    v.setUint16(2, 0x0001, true);
    v.setUint16(4, 0xa400 | (phy << 5) | reg, true);
    dev?.model.dataOut?.(0x02, cmd);
    const answer = inData(dev?.model ?? { dataIn: () => undefined }, 0x86);
    return new DataView(answer.buffer, answer.byteOffset).getUint16(0, true);
  };
  // include/linux/marvell_phy.h MARVELL_PHY_ID_88E1510 = 0x01410dd0 (802.3 22.2.4.3.1: PHYID1, PHYID2).
  t.is(read(3, 2), 0x0141);
  t.is(read(3, 3), 0x0dd0);
  // An empty address reads all ones (802.3 22.2.4: MDIO pulled high).
  t.is(read(4, 2), 0xffff);
  t.deepEqual(trace, [
    ['/pcie@10000000/usb@2,0/mdio@5', 'mdio.read', 3, 2, 0x0141, 5_000_000],
    ['/pcie@10000000/usb@2,0/mdio@5', 'mdio.read', 3, 3, 0x0dd0, 5_000_000],
    ['/pcie@10000000/usb@2,0/mdio@5', 'mdio.read', 4, 2, 0xffff, 5_000_000],
  ]);
});

test('the CP2615 serves the 24C02 on its interface-1 node, seeded from mdio-emu,contents', (t) => {
  const [dev] = board(
    cp2615('eeprom@50 { compatible = "atmel,24c02"; reg = <0x50>; mdio-emu,contents = [de ad be ef]; };'),
  ).usb;
  t.is(dev?.reg, 6);
  const path = '/pcie@10000000/usb@2,0/i2c-bridge@6/interface@1,1/eeprom@50';
  const eeprom = dev?.eeproms.get(path);
  t.truthy(eeprom);
  // The seeded bytes, then erased cells (all ones) to the 24C02's 256 bytes.
  t.deepEqual(
    [...(eeprom?.contents() ?? [])],
    [0xde, 0xad, 0xbe, 0xef, ...new Array<number>(252).fill(0xff)],
  );
  // Through the bridge as i2c-cp2615.c asks: IOP DoI2cTransfer (0xd400) tag, 8-bit address, read_len,
  // write_len, data; big-endian header preamble 0x2a2a, total length, message id.
  const iop = Uint8Array.of(0x2a, 0x2a, 0, 11, 0xd4, 0x00, 7, 0x50 << 1, 4, 1, 0x02);
  dev?.model.dataOut?.(0x02, iop);
  const answer = inData(dev?.model ?? { dataIn: () => undefined }, 0x82);
  // I2cTransferResult (0xa400): tag, address, status 0 (success), length, data.
  t.deepEqual([...answer], [0x2a, 0x2a, 0, 14, 0xa4, 0x00, 7, 0x50 << 1, 0, 4, 0xbe, 0xef, 0xff, 0xff]);
});

test('an I2C device without a model behind the CP2615 is a configuration error naming the node', (t) => {
  const err = t.throws(() => board(cp2615('sensor@48 { compatible = "ti,tmp102"; reg = <0x48>; };')), {
    instanceOf: InputError,
  });
  t.is(err.code, 'BOARD1005');
  t.regex(err.message, /sensor@48.*ti,tmp102/);
  t.regex(err.report(), /^scenario\.dts: error BOARD1005/);
});

test('two chips at one 7-bit address behind the CP2615 are a configuration error naming the second', (t) => {
  // I2C answers one device per address: the guest could reach only one of them.
  const err = t.throws(
    () =>
      board(
        cp2615(`eeprom@50 { compatible = "atmel,24c02"; reg = <0x50>; };
      eeprom@50,1 { compatible = "atmel,24c02"; reg = <0x50>; };`),
      ),
    { instanceOf: InputError },
  );
  t.is(err.code, 'BOARD1001');
  t.regex(err.message, /interface@1,1\/eeprom@50,1/);
});

test('USB compatibles without leading zeros (usb-device.yaml: usb424,7801) are placed, the LAN7801 on its mdio child bus', (t) => {
  const b = board(`ethernet@5 { compatible = "usb424,7801"; reg = <5>;
    mdio { #address-cells = <1>; #size-cells = <0>; ethernet-phy@1 { compatible = "ethernet-phy-id0141.0dd0"; reg = <1>; }; }; };`);
  t.deepEqual(
    b.usb.map((d) => [d.path, d.vendorId, d.productId, d.reg]),
    [['/pcie@10000000/usb@2,0/ethernet@5', 0x0424, 0x7801, 5]],
  );
  t.deepEqual(
    b.mdio.map((m) => m.path),
    ['/pcie@10000000/usb@2,0/ethernet@5/mdio'],
  );
});

test('a CP2112 serves its i2c child bus; a TPS23881 whose interrupt names the CP2112 drives that GPIO, active low', (t) => {
  const source = readFileSync(
    fileURLToPath(new URL('../bindings/fixtures/pse-cp2112-tps23881.dts', import.meta.url)),
    'utf8',
  );
  const r = compileDts(source, { fileName: 'cp2112.dts' });
  if (!r.tree) throw new Error(JSON.stringify(r.diagnostics));
  const b = buildBoard(r.tree, { clock: new VirtualClock() });
  const dev = b.usbAt('/usb/device@6');
  t.deepEqual([dev?.vendorId, dev?.productId], [0x10c4, 0xea90]);
  t.deepEqual(
    b.i2c.find((x) => x.path === '/usb/device@6/i2c')?.devices.map((d) => [d.addr, d.compatible]),
    [[0x20, 'ti,tps23881']],
  );
  const cp2112 = dev?.model as Cp2112;
  const gpio3 = (): boolean => ((cp2112.levels >> 3) & 1) === 1;
  const chip = b.i2c
    .find((x) => x.path === '/usb/device@6/i2c')
    ?.chips.get('/usb/device@6/i2c/ethernet-pse@20');
  t.truthy(chip);
  // The GPIO follows the chip's INT pin, inverted (active low): whatever the chip asserts, the driver polls.
  t.is(gpio3(), !(chip?.irq ?? false));
  b.apply({ kind: 'pd-connect', controller: '/usb/device@6/i2c/ethernet-pse@20', port: 0, class: 3 });
  t.true(chip?.irq, 'a PD detected on PI 0 raises an event');
  t.false(gpio3(), 'the TPS23881 holds its INT (GPIO 3) low');
});
