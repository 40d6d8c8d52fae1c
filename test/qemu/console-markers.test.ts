import test from 'ava';
import { ConsoleMarkerParser } from '../../src/qemu/console-markers.js';
import { parseGuestTrace, parseSnapshot } from '../../src/qemu/guest-observations.js';

test('markers are found after interleaved kernel output and across chunk boundaries', (t) => {
  const p = new ConsoleMarkerParser();
  p.push(
    '[    0.5] usb 1-1: new high-speed USB device\r\n@@mdio-emu {"kind":"snapshot","t":20,"label":"end"}\n@@mdio-',
  );
  p.push(
    'emu|deferred name=1-1:1.0 of_node=/pcie@10000000/usb@2,0/mdio@5 reason=\n[ 1.0] xhci@@mdio-emu|mdio name=mvusb-1-1:1.0:00 phy_id=0x01410dd1 of_node=/a/b driver=Marvell 88E1510\n',
  );
  p.push('@@mdio-emu {"kind":"done","t":30}');
  p.end();
  t.deepEqual(
    p.events.map((e) => e.kind),
    ['snapshot', 'done'],
  );
  const s = parseSnapshot(p.events[0]!);
  t.deepEqual(s.deferred, [{ name: '1-1:1.0', ofNode: '/pcie@10000000/usb@2,0/mdio@5', reason: '' }]);
  t.deepEqual(s.mdio, [
    { name: 'mvusb-1-1:1.0:00', phyId: 0x01410dd1, ofNode: '/a/b', driver: 'Marvell 88E1510' },
  ]);
});

test('mdio_access trace lines parse as include/trace/events/mdio.h prints them', (t) => {
  const lines = [
    '    kworker/0:1-20      [000] .....     1.281838: mdio_access: mvusb-1-1:1.0 read  phy:0x00 reg:0x02 val:0x0141',
    '    kworker/0:1-20      [000] .....     1.282100: mdio_access: mvusb-1-1:1.0 write phy:0x00 reg:0x12 val:0x0000',
    '            init-1       [000] .....     1.264754: tracing_mark_write: mdio-emu action 1 load-module',
    '          insmod-431     [000] .....     1.266111: module_load: pse_regulator ',
  ];
  t.deepEqual(parseGuestTrace(lines), [
    { kind: 'mdio', ts: 1.281838, bus: 'mvusb-1-1:1.0', op: 'read', addr: 0, reg: 2, value: 0x0141 },
    { kind: 'mdio', ts: 1.2821, bus: 'mvusb-1-1:1.0', op: 'write', addr: 0, reg: 0x12, value: 0 },
    { kind: 'marker', ts: 1.264754, text: 'mdio-emu action 1 load-module' },
    { kind: 'module-load', ts: 1.266111, module: 'pse_regulator' },
  ]);
});
