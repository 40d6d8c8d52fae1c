import test from 'ava';
import { compileDts } from '../../src/dts/compile.js';
import { readDtb } from '../../src/dts/dtb-read.js';
import { ConfigError } from '../../src/scenario/errors.js';
import type { ScenarioDtb } from '../../src/qemu/scenario-dtb.js';
import { placeUsbDevices, type EmulatorMdioAccess } from '../../src/qemu/usb-devices.js';

/** A scenario tree without QEMU: just the xHCI node the devices hang under. */
function scenarioDtb(devices: string): ScenarioDtb {
  const source = `/dts-v1/;
/ { pcie@10000000 { #address-cells = <3>; #size-cells = <2>;
  usb@2,0 { reg = <0x1000 0 0 0 0>; #address-cells = <1>; #size-cells = <0>;
${devices}
  }; }; };`;
  const r = compileDts(source, { fileName: 'scenario.dts' });
  if (!r.ok || !r.dtb) throw new Error(JSON.stringify(r.diagnostics));
  return { dtb: Buffer.from(r.dtb), tree: readDtb(r.dtb), labels: new Map() };
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

test('the Marvell adapter serves the catalogue 88E1510 at the DT address, traced per transaction', (t) => {
  const trace: EmulatorMdioAccess[] = [];
  const [dev] = placeUsbDevices({ dtb: scenarioDtb(mvusb), traceMdio: (a) => trace.push(a), now: () => 5 });
  // qemu-xhci numbers its 4 USB3 ports first: xHCI raw port 5 is usb-redir port=1.
  t.is(dev?.port, 1);
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
  t.deepEqual(
    trace.map((a) => [a.adapter, a.op, a.addr, a.reg, a.value, a.hostMs]),
    [
      ['/pcie@10000000/usb@2,0/mdio@5', 'read', 3, 2, 0x0141, 5],
      ['/pcie@10000000/usb@2,0/mdio@5', 'read', 3, 3, 0x0dd0, 5],
      ['/pcie@10000000/usb@2,0/mdio@5', 'read', 4, 2, 0xffff, 5],
    ],
  );
});

test('the CP2615 serves the 24C02 on its interface-1 node, seeded from mdio-emu,contents', (t) => {
  const dtb = scenarioDtb(
    cp2615('eeprom@50 { compatible = "atmel,24c02"; reg = <0x50>; mdio-emu,contents = [de ad be ef]; };'),
  );
  const [dev] = placeUsbDevices({ dtb, traceMdio: () => {}, now: () => 0 });
  t.is(dev?.port, 2);
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
  const dtb = scenarioDtb(cp2615('sensor@48 { compatible = "ti,tmp102"; reg = <0x48>; };'));
  const err = t.throws(() => placeUsbDevices({ dtb, traceMdio: () => {}, now: () => 0 }), {
    instanceOf: ConfigError,
  });
  t.is(err.code, 'SCN008');
  t.regex(err.message, /sensor@48.*ti,tmp102/);
});

test('two chips at one 7-bit address behind the CP2615 are a configuration error naming the second', (t) => {
  // I2C answers one device per address: the guest could reach only one of them.
  const dtb = scenarioDtb(
    cp2615(`eeprom@50 { compatible = "atmel,24c02"; reg = <0x50>; };
      eeprom@50,1 { compatible = "atmel,24c02"; reg = <0x50>; };`),
  );
  const err = t.throws(() => placeUsbDevices({ dtb, traceMdio: () => {}, now: () => 0 }), {
    instanceOf: ConfigError,
  });
  t.is(err.code, 'SCN008');
  t.regex(err.message, /interface@1,1\/eeprom@50,1/);
});

test('a USB device off the USB2 ports (xHCI raw port 1 is a USB3 port on qemu-xhci) is rejected', (t) => {
  const dtb = scenarioDtb(mvusb.replace('mdio@5', 'mdio@1').replace('reg = <5>', 'reg = <1>'));
  const err = t.throws(() => placeUsbDevices({ dtb, traceMdio: () => {}, now: () => 0 }), {
    instanceOf: ConfigError,
  });
  t.regex(err.message, /raw port/);
});

test('USB compatibles without leading zeros (usb-device.yaml: usb424,7801) are placed, the LAN7801 on its mdio child bus', (t) => {
  const dtb = scenarioDtb(`ethernet@5 { compatible = "usb424,7801"; reg = <5>;
    mdio { #address-cells = <1>; #size-cells = <0>; ethernet-phy@1 { compatible = "ethernet-phy-id0141.0dd0"; reg = <1>; }; }; };`);
  const devices = placeUsbDevices({ dtb, traceMdio: () => {}, now: () => 0 });
  t.deepEqual(
    devices.map((d) => [d.path, d.vendorId, d.productId, d.port]),
    [['/pcie@10000000/usb@2,0/ethernet@5', 0x0424, 0x7801, 1]],
  );
});
