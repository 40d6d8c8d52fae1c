import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildBoard } from '../../src/board/index.js';
import { VirtualClock, ms } from '../../src/clock.js';
import { compileDts } from '../../src/dts/compile.js';
import type { DeviceTree } from '../../src/dts/tree.js';
import {
  I2cRunLog,
  parseSmbusTrace,
  replayGuestSmbus,
  smbusMessages,
  type GuestSmbusTransfer,
} from '../../src/qemu/i2c-replay.js';
import { TPS23881_REG as REG } from '../../src/pse/index.js';

// Lines as a Linux 7.2 guest wrote them (hid-cp2112 + tps23881 probe, include/trace/events/smbus.h formats).
const TRACE = [
  '          insmod-192     [000] .....     1.564266: smbus_read: i2c-0 a=020 f=0000 c=43 BYTE_DATA',
  '          insmod-192     [000] .....     1.578328: smbus_reply: i2c-0 a=020 f=0000 c=43 BYTE_DATA l=1 [22]',
  '          insmod-192     [000] .....     1.578476: smbus_result: i2c-0 a=020 f=0000 c=43 BYTE_DATA rd res=0',
  '          insmod-192     [000] .....     1.580014: smbus_write: i2c-0 a=020 f=0000 c=60 BYTE_DATA l=1 [01]',
  '          insmod-192     [000] .....     1.581848: smbus_result: i2c-0 a=020 f=0000 c=60 BYTE_DATA wr res=0',
  '          insmod-192     [000] .....     1.590000: tracing_mark_write: mdio-emu step 1 done',
  '     kworker/0:2-40      [000] .....     2.000001: smbus_read: i2c-0 a=020 f=0000 c=c WORD_DATA',
  '     kworker/0:2-40      [000] .....     2.001000: smbus_reply: i2c-0 a=020 f=0000 c=c WORD_DATA l=2 [04-00]',
  '     kworker/0:2-40      [000] .....     2.001100: smbus_result: i2c-0 a=020 f=0000 c=c WORD_DATA rd res=0',
  '     kworker/0:2-40      [000] .....     2.002000: smbus_write: i2c-0 a=021 f=0000 c=12 WORD_DATA l=2 [aa-aa]',
  '     kworker/0:2-40      [000] .....     2.003000: smbus_result: i2c-0 a=021 f=0000 c=12 WORD_DATA wr res=-6',
];

test('parseSmbusTrace folds request, reply and result into one transfer each, in order', (t) => {
  const x = parseSmbusTrace(TRACE);
  t.deepEqual(
    x.map((g) => [g.ts, g.adapter, g.addr, g.op, g.command, g.protocol, g.data, g.res]),
    [
      [1.564266, 0, 0x20, 'read', 0x43, 'BYTE_DATA', [0x22], 0],
      [1.580014, 0, 0x20, 'write', 0x60, 'BYTE_DATA', [0x01], 0],
      [2.000001, 0, 0x20, 'read', 0x0c, 'WORD_DATA', [0x04, 0x00], 0],
      [2.002, 0, 0x21, 'write', 0x12, 'WORD_DATA', [0xaa, 0xaa], -6],
    ],
  );
});

test('smbusMessages: the wire form of each SMBus protocol (SMBus 3.1 6.5, i2c_smbus_xfer_emulated)', (t) => {
  const g = (op: 'read' | 'write', protocol: string, data: number[] = []): GuestSmbusTransfer => ({
    ts: 0,
    adapter: 0,
    addr: 0x20,
    op,
    command: 0x0c,
    protocol,
    data,
    res: 0,
  });
  const wire = (x: GuestSmbusTransfer) =>
    smbusMessages(x)?.map((m) => (m.kind === 'write' ? ['w', [...m.data]] : ['r', m.length]));
  t.deepEqual(wire(g('read', 'BYTE_DATA')), [
    ['w', [0x0c]],
    ['r', 1],
  ]);
  t.deepEqual(wire(g('write', 'BYTE_DATA', [0x55])), [['w', [0x0c, 0x55]]]);
  t.deepEqual(wire(g('read', 'WORD_DATA')), [
    ['w', [0x0c]],
    ['r', 2],
  ]);
  t.deepEqual(wire(g('write', 'WORD_DATA', [0x34, 0x12])), [['w', [0x0c, 0x34, 0x12]]]);
  t.deepEqual(wire(g('write', 'BYTE')), [['w', [0x0c]]]);
  t.deepEqual(wire(g('read', 'I2C_BLOCK_DATA', [3])), [
    ['w', [0x0c]],
    ['r', 3],
  ]);
  t.deepEqual(wire(g('write', 'I2C_BLOCK_DATA', [2, 0xa, 0xb])), [['w', [0x0c, 0xa, 0xb]]]);
  t.is(smbusMessages(g('read', 'BLOCK_PROC_CALL')), undefined);
});

const tree = (): DeviceTree => {
  const source = readFileSync(
    fileURLToPath(new URL('../bindings/fixtures/pse-cp2112-tps23881.dts', import.meta.url)),
    'utf8',
  );
  const r = compileDts(source, { fileName: 'cp2112.dts' });
  if (!r.tree) throw new Error(JSON.stringify(r.diagnostics));
  return r.tree;
};
const PSE = '/usb/device@6/i2c/ethernet-pse@20';

/**
 * A served run: a guest's transfers against the board, and the ftrace lines the guest would have written for
 * them (what the transfers returned on the served board, in the kernel's formats). Semi-auto on channel 0,
 * then a class 3 PD connects, then the driver reads the channel's discovery result.
 */
function servedRun(): { lines: string[]; log: I2cRunLog; discBefore: number[]; discAfter: number[] } {
  const clock = new VirtualClock();
  const board = buildBoard(tree(), { clock });
  const log = new I2cRunLog(board);
  const bus = board.i2c[0]?.bus;
  if (!bus) throw new Error('no I2C bus');
  const lines: string[] = [];
  const h = (n: number) => n.toString(16).padStart(2, '0');
  const xfer = (op: 'read' | 'write', protocol: string, c: number, data: number[] = []): number[] => {
    clock.advance(ms(2));
    const g: GuestSmbusTransfer = { ts: 0, adapter: 0, addr: 0x20, op, command: c, protocol, data, res: 0 };
    const r = bus.transfer(smbusMessages(g) ?? []);
    const ts = (clock.now() / 1e9).toFixed(6);
    const head = `kworker/0:1-20 [000] ..... ${ts}: smbus_${op === 'read' ? 'read' : 'write'}: i2c-0 a=020 f=0000 c=${c.toString(16)} ${protocol}`;
    const read = [...(r.reads.at(-1) ?? [])];
    if (op === 'write') lines.push(`${head} l=${data.length} [${data.map(h).join('-')}]`);
    else
      lines.push(
        head,
        `${head.replace('smbus_read', 'smbus_reply')} l=${read.length} [${read.map(h).join('-')}]`,
      );
    lines.push(
      `${head.replace(/smbus_\w+/, 'smbus_result')} ${op === 'read' ? 'rd' : 'wr'} res=${r.ok ? 0 : -6}`,
    );
    return read;
  };
  xfer('read', 'BYTE_DATA', REG.DEVID);
  xfer('write', 'WORD_DATA', REG.OP_MODE, [0xaa, 0xaa]);
  xfer('write', 'WORD_DATA', REG.DET_CLA_EN, [0xff, 0xff]);
  const discBefore = xfer('read', 'WORD_DATA', REG.DISC);
  clock.advance(ms(5));
  board.apply({ kind: 'pd-connect', controller: PSE, port: 0, class: 3 });
  clock.advance(ms(500));
  xfer('read', 'WORD_DATA', REG.DET_EVENT_COR);
  const discAfter = xfer('read', 'WORD_DATA', REG.DISC);
  xfer('read', 'WORD_DATA', REG.IT);
  return { lines, log, discBefore, discAfter };
}

test('a guest trace of what the served board answered replays against a fresh board with no difference', (t) => {
  const { lines, log } = servedRun();
  const r = replayGuestSmbus(tree(), parseSmbusTrace(lines), log.entries);
  t.is(r.checked, 7);
  t.is(r.reads, 5);
  t.deepEqual(r.differences, []);
  t.is(r.timing, 'emulator');
  t.deepEqual(r.busMap, { 'i2c-0': '/usb/device@6/i2c' });
});

test('the run’s PD actions are applied where they happened; without them the replay differs', (t) => {
  const { lines, log, discBefore, discAfter } = servedRun();
  t.notDeepEqual(discBefore, discAfter, 'the PD changes what the channel discovery register reads');
  const withoutPd = log.entries.filter((e) => e.kind !== 'action');
  const r = replayGuestSmbus(tree(), parseSmbusTrace(lines), withoutPd);
  t.true(r.differences.length >= 1, JSON.stringify(r.differences));
  t.true(
    r.differences.some((d) => /c=0xc /.test(d)),
    r.differences.join('\n'),
  );
});

test('a read the model would not give is reported with both values', (t) => {
  const { lines, log } = servedRun();
  // The DEVID reply as a TPS23881B would give it (0x24 instead of 0x22).
  const tampered = lines.map((l) => (/smbus_reply: .* c=43 /.test(l) ? l.replace('[22]', '[24]') : l));
  const r = replayGuestSmbus(tree(), parseSmbusTrace(tampered), log.entries);
  t.deepEqual(r.differences.length, 1);
  t.regex(r.differences[0] ?? '', /^#0 read BYTE_DATA a=0x20 c=0x43 .*guest read \[24\], model \[22\]$/);
  // Not twins any more, so the replay falls back to the guest's own clock.
  t.is(r.timing, 'guest');
});

test('a transfer the guest gave up on (-ETIMEDOUT) still ran on the bus: replayed, not compared, counted', (t) => {
  const { lines, log } = servedRun();
  // hid-cp2112 timed out on the clear-on-read DETECTION EVENT read: no reply event, result -110.
  const c = `c=${REG.DET_EVENT_COR.toString(16)} `;
  const timedOut = lines
    .filter((l) => !(l.includes('smbus_reply') && l.includes(c)))
    .map((l) => (l.includes('smbus_result') && l.includes(c) ? l.replace('res=0', 'res=-110') : l));
  const r = replayGuestSmbus(tree(), parseSmbusTrace(timedOut), log.entries);
  t.is(r.guestTimeouts, 1);
  t.is(r.timing, 'emulator');
  // The later INTERRUPT read agrees only if the event register was cleared as it was in the run.
  t.deepEqual(r.differences, []);
  t.is(r.reads, 4);
});
