import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { importMdioAccess, readAnyTrace } from '../../src/replay/index.js';

const here = dirname(fileURLToPath(import.meta.url));
// Lines as /sys/kernel/tracing/trace prints them (ftrace header, other events mixed in, odd spacing); the
// event text follows include/trace/events/mdio.h: "%s %-5s phy:0x%02hhx reg:0x%02x val:0x%04hx".
const text = readFileSync(join(here, 'fixtures', 'mvusb-pse-late.trace.txt'), 'utf8');

test('mdio_access events are imported and everything else is skipped', (t) => {
  const { records, skipped } = importMdioAccess(text);
  t.is(records.length, 7);
  t.is(skipped, 14); // 12 header/comment lines and the two other events
  t.deepEqual(
    records
      .slice(0, 3)
      .map(({ bus, op, addr, reg, value, vtNs, client }) => ({ bus, op, addr, reg, value, vtNs, client })),
    [
      {
        bus: 'mvusb-1-1:1.0',
        op: 'read',
        addr: 0,
        reg: 2,
        value: 0x0141,
        vtNs: 1_281_838_000,
        client: 'kworker/0:1-20',
      },
      {
        bus: 'mvusb-1-1:1.0',
        op: 'read',
        addr: 0,
        reg: 3,
        value: 0x0dd1,
        vtNs: 1_281_990_000,
        client: 'kworker/0:1-20',
      },
      {
        bus: 'mvusb-1-1:1.0',
        op: 'write',
        addr: 0,
        reg: 0,
        value: 0x8000,
        vtNs: 1_282_100_000,
        client: 'kworker/0:1-20',
      },
    ],
  );
});

test('a task name with a space and extra blanks around the fields still parse', (t) => {
  const r = importMdioAccess(text).records[3]!;
  t.is(r.client, 'kworker/u2:3 x-77');
  t.is(r.bus, 'mvusb-1-1:1.0');
  t.is(r.value, 0x1140);
  t.is(r.line, 18);
});

test('an all-ones read is marked as no response; MII_ADDR_C45 regnum splits into MMD and register', (t) => {
  const rs = importMdioAccess(text).records;
  t.is(rs[5]!.result, 'no-response');
  t.is(rs[5]!.addr, 0x1f);
  t.like(rs[6], { bus: 'xgmac-mii', addr: 1, devad: 1, reg: 5, value: 0x8a });
});

test('readAnyTrace tells kernel text from our format', (t) => {
  t.is(readAnyTrace(text).format, 'mdio_access');
  t.is(readAnyTrace('mdio-emu-trace 1\n').format, 'mdio-emu');
});
