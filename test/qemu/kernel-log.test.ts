import test from 'ava';
import { KernelLogReader, parseKmsgLine, type KmsgRecord } from '../../src/qemu/kernel-log.js';
import type { GuestEvent } from '../../src/scenario/events.js';

/** Feeds lines as /dev/kmsg records, one microsecond apart; returns every event. */
function read(lines: readonly string[], reader = new KernelLogReader()): GuestEvent[] {
  const out: GuestEvent[] = [];
  lines.forEach((text, i) =>
    out.push(...reader.push({ level: 4, seq: i, tsUs: 1000 + i, text, dict: new Map() }).events),
  );
  out.push(...reader.flush());
  return out.filter((e) => e.type !== 'guest.log');
}

const reports = (events: GuestEvent[]) => events.flatMap((e) => (e.type === 'guest.report' ? [e] : []));

// arm64 __warn() output on Linux 6.1 (kernel/panic.c: "WARNING: CPU: %d PID: %d at %s:%d %pS").
const WARN_61 = [
  'WARNING: CPU: 0 PID: 62 at drivers/regulator/core.c:2280 _regulator_put+0x48/0x50',
  'Modules linked in: mdio_mvusb pse_regulator',
  'CPU: 0 PID: 62 Comm: sh Not tainted 6.1.0 #1',
  'pstate: 80000005 (Nzcv daif -PAN -UAO -TCO -DIT -SSBS BTYPE=--)',
  'pc : _regulator_put+0x48/0x50',
  'Call trace:',
  ' _regulator_put+0x48/0x50',
  ' regulator_put+0x34/0x50',
  ' devm_regulator_release+0x18/0x24 [pse_regulator]',
  '---[ end trace 0000000000000000 ]---',
];
// Linux 6.19 and later print the location first ("WARNING: %s:%d at %pS, CPU#%d: %s/%d").
const WARN_72 = [
  'WARNING: drivers/regulator/core.c:2675 at _regulator_put+0x48/0x50, CPU#0: sh/71',
  'Modules linked in: pse_regulator',
  'Call trace:',
  ' _regulator_put+0x48/0x50 (P)',
  ' regulator_put+0x34/0x50',
  '---[ end trace 0000000000000000 ]---',
];

test('a WARN is one event with its function and first frames, whichever kernel version worded it', (t) => {
  for (const lines of [WARN_61, WARN_72]) {
    const [r, ...rest] = reports(read(lines));
    t.is(rest.length, 0);
    t.is(r?.report, 'warning');
    t.is(r?.function, '_regulator_put');
    t.false(r?.fatal);
    t.deepEqual(r?.frames.slice(0, 2), ['_regulator_put', 'regulator_put']);
  }
});

test('an arm64 Oops (two headers) is one fatal report; KASAN frames come from the access trace only', (t) => {
  const oops = reports(
    read([
      'Unable to handle kernel paging request at virtual address dead000000000122',
      'Mem abort info:',
      'Internal error: Oops: 0000000096000044 [#1] SMP',
      'Call trace:',
      ' pse_control_put+0x2c/0x60',
      ' phy_mdio_device_remove+0x24/0x40',
      ' mdiobus_unregister+0x60/0xa0',
      ' mvusb_mdio_disconnect+0x2c/0x44 [mdio_mvusb]',
      'Code: f9400021 (f9000022)',
      '---[ end trace 0000000000000000 ]---',
    ]),
  );
  t.is(oops.length, 1);
  t.true(oops[0]?.fatal);
  t.deepEqual(oops[0]?.frames, [
    'pse_control_put',
    'phy_mdio_device_remove',
    'mdiobus_unregister',
    'mvusb_mdio_disconnect',
  ]);
  const kasan = reports(
    read([
      '==================================================================',
      'BUG: KASAN: use-after-free in pse_control_put+0x2c/0x90',
      'Read of size 4 at addr ffff000004c1a010 by task kworker/0:2/40',
      'Call trace:',
      ' dump_backtrace+0xe4/0x140',
      ' pse_control_put+0x2c/0x90',
      'Allocated by task 33:',
      ' kasan_save_stack+0x2c/0x54',
      'Freed by task 61:',
      ' kfree+0xd4/0x2c0',
      '==================================================================',
    ]),
  );
  t.is(kasan.length, 1);
  t.is(kasan[0]?.title, 'KASAN: use-after-free in pse_control_put');
  t.deepEqual(kasan[0]?.frames, ['dump_backtrace', 'pse_control_put']);
  t.true(kasan[0]?.fatal);
});

test('lockdep and hung-task reports are recognised by what they are', (t) => {
  const r = reports(
    read([
      'WARNING: possible circular locking dependency detected',
      '6.12.0 #1 Not tainted',
      'INFO: task kworker/0:1:25 blocked for more than 120 seconds.',
      'Call trace:',
      ' __switch_to+0xf0/0x170',
    ]),
  );
  t.deepEqual(
    r.map((x) => [x.report, x.fatal]),
    [
      ['lockdep', false],
      ['hung-task', true],
    ],
  );
});

test("uevents name each device's DT node; a deferral by dynamic debug is placed on its USB interface's device node", (t) => {
  const reader = new KernelLogReader();
  const ev = read(
    [
      'mdio-emu: uevent|add|usb|/devices/pci0000:00/0000:00:02.0/usb1/1-1|usb_device|/pcie@10000000/usb@2,0/mdio@5|||',
      'mdio-emu: uevent|add|usb|/devices/pci0000:00/0000:00:02.0/usb1/1-1/1-1:1.0|usb_interface||||',
    ],
    reader,
  );
  t.deepEqual(
    ev.map((e) => (e.type === 'guest.device' ? [e.action, e.name, e.node] : [])),
    [
      ['add', '1-1', '/pcie@10000000/usb@2,0/mdio@5'],
      ['add', '1-1:1.0', '/pcie@10000000/usb@2,0/mdio@5'],
    ],
  );
  const record: KmsgRecord = {
    level: 7,
    seq: 9,
    tsUs: 5000,
    text: 'mvusb_mdio 1-1:1.0: Driver mdio-mvusb requests probe deferral',
    dict: new Map([
      ['DEVICE', '+usb:1-1:1.0'],
      ['SUBSYSTEM', 'usb'],
    ]),
  };
  const d = reader.push(record).events.find((e) => e.type === 'guest.deferred');
  t.deepEqual(d, {
    type: 'guest.deferred',
    name: '1-1:1.0',
    driver: 'mdio-mvusb',
    node: '/pcie@10000000/usb@2,0/mdio@5',
  });
  // A driver name with spaces survives the uevent line (it comes last).
  const bind = read([
    'mdio-emu: uevent|bind|mdio_bus|/devices/x/mdio_bus/m-0:00||/u/mdio@5/ethernet-phy@0|0x01410dd0||Marvell 88E1510',
  ]);
  t.like(bind[0], { type: 'guest.device', action: 'bind', driver: 'Marvell 88E1510', phyId: 0x01410dd0 });
});

test("the agent's own lines: steps, heartbeat", (t) => {
  const reader = new KernelLogReader();
  const at = (text: string) => reader.push({ level: 4, seq: 1, tsUs: 1, text, dict: new Map() }).agent;
  t.deepEqual(at('mdio-emu: step 3 start'), { kind: 'step', step: 3, phase: 'start' });
  t.deepEqual(at('mdio-emu: step 3 done rc=1'), { kind: 'step', step: 3, phase: 'done', rc: 1 });
  t.deepEqual(at('mdio-emu: tick'), { kind: 'tick' });
  t.is(at('usb 1-1: new high-speed USB device'), undefined);
});

test('kmsg lines: level from the prefix, microsecond time, escaped bytes', (t) => {
  t.deepEqual(parseKmsgLine('12,345,6789012,-;tab\\x09here'), {
    level: 4,
    seq: 345,
    tsUs: 6789012,
    text: 'tab\there',
  });
  t.deepEqual(parseKmsgLine('6,1,2,-,caller=T1;x'), { level: 6, seq: 1, tsUs: 2, text: 'x' });
  t.is(parseKmsgLine('[    1.000000] usb 1-1: new device'), undefined);
});
