import test from 'ava';
import { phandleIndex } from '../../src/bindings/pse.js';
import { usbI2cPath } from '../../src/bindings/usb-i2c.js';
import { compileDts } from '../../src/dts/compile.js';
import { findNodeByPath } from '../../src/dts/tree.js';

function at(dts: string, path: string) {
  const r = compileDts(new TextEncoder().encode(dts), { fileName: 't.dts' });
  if (!r.tree) throw new Error('compile');
  const node = findNodeByPath(r.tree.root, path);
  if (!node) throw new Error(path);
  return usbI2cPath(node, phandleIndex(r.tree.root));
}

const usb = (inner: string) => `/dts-v1/;
/ { gpio0: gpio { interrupt-controller; #interrupt-cells = <2>; };
    usb { #address-cells = <1>; #size-cells = <0>; ${inner} }; };`;

test('CP2112: the i2c child is the adapter; interrupt-parent plus interrupts on one of its GPIOs', (t) => {
  const p = at(
    usb(`bridge: device@5 { compatible = "usb10c4,ea90"; reg = <5>; interrupt-controller; #interrupt-cells = <2>;
      i2c { #address-cells = <1>; #size-cells = <0>;
        eeprom@50 { compatible = "atmel,24c02"; reg = <0x50>; interrupt-parent = <&bridge>; interrupts = <7 2>; }; }; };`),
    '/usb/device@5/i2c/eeprom@50',
  );
  t.like(p, {
    bridge: 'cp2112',
    usbNode: '/usb/device@5',
    port: 5,
    adapter: '/usb/device@5/i2c',
    address: 0x50,
    clockHz: undefined,
    interrupt: { controller: '/usb/device@5', viaBridge: true, line: 7, type: 2, typeName: 'edge-falling' },
  });
});

test('CP2112: an interrupt from another controller is reported as such', (t) => {
  const p = at(
    usb(`device@5 { compatible = "usb10c4,ea90"; reg = <5>;
      i2c { #address-cells = <1>; #size-cells = <0>;
        pse@20 { reg = <0x20>; interrupts-extended = <&gpio0 4 4>; }; }; };`),
    '/usb/device@5/i2c/pse@20',
  );
  t.like(p?.interrupt, { controller: '/gpio', viaBridge: false, line: 4, typeName: 'level-high' });
});

test('CP2615: interface 1 is the adapter; anything else is not behind a bridge', (t) => {
  const dts = usb(`device@5 { compatible = "usb10c4,eac1"; reg = <5>; #address-cells = <2>; #size-cells = <0>;
      interface@1,1 { reg = <1 1>; #address-cells = <1>; #size-cells = <0>; eeprom@50 { reg = <0x50>; }; }; };
    device@6 { compatible = "usb10c4,ea90"; reg = <6>; other { #address-cells = <1>; #size-cells = <0>; x@1 { reg = <1>; }; }; };`);
  t.like(at(dts, '/usb/device@5/interface@1,1/eeprom@50'), {
    bridge: 'cp2615',
    adapter: '/usb/device@5/interface@1,1',
    interrupt: undefined,
  });
  t.is(at(dts, '/usb/device@6/other/x@1'), undefined, 'a CP2112 child other than `i2c` is not its adapter');
});
