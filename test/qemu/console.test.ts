import test from 'ava';
import { ConsoleParser, type AgentBlock } from '../../src/qemu/console.js';
import type { KmsgRecord } from '../../src/qemu/kernel-log.js';

function collect(dictionaryWaitMs?: number): {
  parser: ConsoleParser;
  kmsg: KmsgRecord[];
  blocks: AgentBlock[];
  console: [number, string][];
} {
  const kmsg: KmsgRecord[] = [];
  const blocks: AgentBlock[] = [];
  const lines: [number, string][] = [];
  const parser = new ConsoleParser(
    {
      kmsg: (r) => kmsg.push(r),
      block: (b) => blocks.push(b),
      consoleLine: (ts, text) => lines.push([ts, text]),
    },
    ...(dictionaryWaitMs === undefined ? [] : [dictionaryWaitMs]),
  );
  return { parser, kmsg, blocks, console: lines };
}

test('kmsg records keep their dictionary lines, even when the console splits them from the record', async (t) => {
  const c = collect(20);
  c.parser.push('7,201,907311,-;mvusb_mdio 1-1:1.0: Driver mvusb_mdio requests probe deferral\n');
  c.parser.push(' SUBSYSTEM=usb\r\n DEVICE=+usb:1-1:1.0\n');
  await new Promise((r) => setTimeout(r, 40));
  t.is(c.kmsg.length, 1);
  t.is(c.kmsg[0]?.dict.get('DEVICE'), '+usb:1-1:1.0');
  t.is(c.kmsg[0]?.tsUs, 907311);
});

test('a busy host may deliver the dictionary lines long after the record: they still belong to it', async (t) => {
  const c = collect();
  c.parser.push('7,201,907311,-;mvusb_mdio 1-1:1.0: Driver mvusb_mdio requests probe deferral\n');
  // 150 ms between the two chunks: what a loaded host gave in a LAVA run (the deferral lost its DEVICE=).
  await new Promise((r) => setTimeout(r, 150));
  t.is(c.kmsg.length, 0);
  c.parser.push(' SUBSYSTEM=usb\n DEVICE=+usb:1-1:1.0\n');
  c.parser.push('@@mdio-emu {"kind":"tick"}\n');
  t.is(c.kmsg.length, 1);
  t.is(c.kmsg[0]?.dict.get('DEVICE'), '+usb:1-1:1.0');
  c.parser.end();
});

test('an agent block keeps payload lines that arrive after kernel records in between', (t) => {
  const c = collect();
  c.parser.push(
    '@@mdio-emu {"kind":"command","index":7,"rc":0}\n@@mdio-emu|cmd ethtool eth0\n@@mdio-emu|out Settings for eth0:\n',
  );
  c.parser.push('12,300,5000000,-;mdio-emu: tick\n');
  c.parser.push('@@mdio-emu|out \tSpeed: 1000Mb/s\n');
  c.parser.flushBlock();
  t.deepEqual(
    c.blocks.map((b) => [b.kind, b.lines]),
    [['command', ['cmd ethtool eth0', 'out Settings for eth0:', 'out \tSpeed: 1000Mb/s']]],
  );
  t.is(c.kmsg.length, 1);
});

test("a marker after interleaved output on the same line still counts; the kernel's own console lines are read too", (t) => {
  const c = collect();
  c.parser.push('[    5.0] junk@@mdio-emu {"kind":"done"}\n[    5.018312] reboot: Power down\n');
  c.parser.end();
  t.deepEqual(
    c.blocks.map((b) => b.kind),
    ['done'],
  );
  t.deepEqual(c.console, [[5_018_312, 'reboot: Power down']]);
});
