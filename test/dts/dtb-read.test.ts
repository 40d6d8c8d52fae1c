import test from 'ava';
import { DtsError } from '../../src/dts/diagnostics.js';
import { DtbErrorCode, readDtb } from '../../src/dts/dtb-read.js';
import { findNodeByPath, getProperty, stringsOf } from '../../src/dts/tree.js';
import { dtcCompile, hasTool } from './fixtures-io/reference-tools.js';

/**
 * The DTB reader on blobs laid out by hand from the Devicetree Specification v0.4 chapter 5 (header fields,
 * 8-byte reservation entries ending in (0, 0), 4-byte aligned tokens, names and values padded to 4), and on
 * blobs from dtc. Malformed blobs must raise DtsError with the stated code and a byte-offset span.
 */

const BEGIN = 1;
const END_NODE = 2;
const PROP = 3;
const NOP = 4;
const END = 9;

/** Assembles structure-block words; strings are interned into a strings block in first-use order. */
class Blob {
  readonly words: number[] = [];
  readonly strings: string[] = [];
  reserves: [bigint, bigint][] = [];

  begin(name: string): this {
    this.words.push(BEGIN, ...padded(Buffer.from(`${name}\0`, 'latin1')));
    return this;
  }

  end(): this {
    this.words.push(END_NODE);
    return this;
  }

  prop(name: string, value: Uint8Array | number[]): this {
    let off = 0;
    const found = this.strings.indexOf(name);
    if (found >= 0) off = this.strings.slice(0, found).reduce((n, s) => n + s.length + 1, 0);
    else {
      off = this.strings.reduce((n, s) => n + s.length + 1, 0);
      this.strings.push(name);
    }
    const bytes = Uint8Array.from(value);
    this.words.push(PROP, bytes.length, off, ...padded(bytes));
    return this;
  }

  raw(...words: number[]): this {
    this.words.push(...words);
    return this;
  }

  /** Header (version 17), reservation map, structure block, strings block, in dtc's order. */
  build(version = 17): Uint8Array {
    const headerSize = 40;
    const rsvSize = (this.reserves.length + 1) * 16;
    const struct = Buffer.alloc(this.words.length * 4);
    this.words.forEach((w, i) => struct.writeUInt32BE(w >>> 0, i * 4));
    const strings = Buffer.from(this.strings.map((s) => `${s}\0`).join(''), 'latin1');
    const total = headerSize + rsvSize + struct.length + strings.length;
    const out = Buffer.alloc(total);
    const fields = [0xd00dfeed, total, headerSize + rsvSize, headerSize + rsvSize + struct.length, headerSize, version, 16, 0, strings.length, struct.length];
    fields.forEach((f, i) => out.writeUInt32BE(f, i * 4));
    this.reserves.forEach(([a, s], i) => {
      out.writeBigUInt64BE(a, headerSize + i * 16);
      out.writeBigUInt64BE(s, headerSize + i * 16 + 8);
    });
    struct.copy(out, headerSize + rsvSize);
    strings.copy(out, headerSize + rsvSize + struct.length);
    return out;
  }
}

function padded(bytes: Uint8Array): number[] {
  const buf = Buffer.alloc((bytes.length + 3) & ~3);
  buf.set(bytes);
  const words: number[] = [];
  for (let i = 0; i < buf.length; i += 4) words.push(buf.readUInt32BE(i));
  return words;
}

function cell(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

function errorOf(t: import('ava').ExecutionContext, blob: Uint8Array): { code: string; start: number; end: number } {
  const err = t.throws(() => readDtb(blob, { fileName: 'x.dtb' }), { instanceOf: DtsError });
  const d = err.diagnostics[0];
  return { code: d?.code ?? '', start: d?.span?.start ?? -1, end: d?.span?.end ?? -1 };
}

function minimal(): Blob {
  return new Blob().begin('').prop('compatible', Buffer.from('a\0b\0')).begin('child@1').prop('reg', cell(1)).end().end().raw(END);
}

test('reads nodes, properties, reservations and boot cpu of a well-formed version 17 blob', (t) => {
  const b = minimal();
  b.reserves = [[0x1000n, 0x2000n]];
  const blob = Buffer.from(b.build());
  blob.writeUInt32BE(3, 28);
  const tree = readDtb(blob);
  t.is(tree.bootCpuidPhys, 3);
  t.is(tree.root.name, '');
  t.deepEqual(stringsOf(getProperty(tree.root, 'compatible')!.value), ['a', 'b']);
  const child = findNodeByPath(tree.root, '/child@1');
  t.is(child?.parent, tree.root);
  t.deepEqual([...(getProperty(child!, 'reg')?.value.bytes ?? [])], [0, 0, 0, 1]);
  t.deepEqual(tree.memreserves, [{ address: 0x1000n, size: 0x2000n, labels: [] }]);
  t.false(tree.plugin);
});

test('version 16 blobs have no size_dt_struct and are read up to FDT_END', (t) => {
  const blob = minimal().build(16);
  const tree = readDtb(blob);
  t.truthy(findNodeByPath(tree.root, '/child@1'));
});

test('NOP tokens are skipped wherever they appear inside nodes', (t) => {
  const blob = new Blob().begin('').raw(NOP).prop('a', []).raw(NOP).begin('n').raw(NOP).end().raw(NOP).end().raw(END).build();
  const tree = readDtb(blob);
  t.deepEqual(
    tree.root.properties.map((p) => p.name),
    ['a'],
  );
  t.deepEqual(
    tree.root.children.map((c) => c.name),
    ['n'],
  );
});

test('phandle comes from phandle, else linux,phandle; 0 and 0xffffffff are not phandles', (t) => {
  const blob = new Blob()
    .begin('')
    .begin('a').prop('linux,phandle', cell(7)).prop('phandle', cell(5)).end()
    .begin('b').prop('linux,phandle', cell(9)).end()
    .begin('c').prop('phandle', cell(0xffffffff)).end()
    .begin('d').prop('phandle', [0, 1]).end()
    .end()
    .raw(END)
    .build();
  const tree = readDtb(blob);
  t.deepEqual(
    tree.root.children.map((c) => c.phandle),
    [5, 9, 0, 0],
  );
});

test('bad magic is DTS4002 at offset 0', (t) => {
  const blob = minimal().build();
  blob[0] = 0;
  t.deepEqual(errorOf(t, blob), { code: DtbErrorCode.badMagic, start: 0, end: 4 });
});

test('a blob shorter than its header or its totalsize is truncated (DTS4001)', (t) => {
  const blob = minimal().build();
  t.is(errorOf(t, blob.subarray(0, 20)).code, DtbErrorCode.truncated);
  const cut = errorOf(t, blob.subarray(0, blob.length - 1));
  t.is(cut.code, DtbErrorCode.truncated);
  t.is(cut.start, blob.length - 1);
});

test('versions other than 16 and 17 are refused (DTS4003)', (t) => {
  t.is(errorOf(t, minimal().build(15)).code, DtbErrorCode.unsupportedVersion);
});

test('a strings block overlapping the structure block is DTS4005', (t) => {
  const blob = Buffer.from(minimal().build());
  const offStruct = blob.readUInt32BE(8);
  blob.writeUInt32BE(offStruct + 4, 12);
  blob.writeUInt32BE(8, 32);
  const e = errorOf(t, blob);
  t.is(e.code, DtbErrorCode.blocksOverlap);
});

test('a block past totalsize is DTS4004, pointing at its header field', (t) => {
  const blob = Buffer.from(minimal().build());
  blob.writeUInt32BE(blob.length + 100, 32);
  t.deepEqual(errorOf(t, blob), { code: DtbErrorCode.blockOutOfBounds, start: 12, end: 16 });
});

test('a property name offset outside the strings block is DTS4006 at the nameoff word', (t) => {
  const blob = Buffer.from(new Blob().begin('').prop('x', []).end().raw(END).build());
  const structOff = blob.readUInt32BE(8);
  blob.writeUInt32BE(1000, structOff + 8 + 8);
  t.deepEqual(errorOf(t, blob), { code: DtbErrorCode.badStringOffset, start: structOff + 16, end: structOff + 20 });
});

test('a node name running off the structure block is DTS4007', (t) => {
  const blob = Buffer.from(new Blob().raw(BEGIN, 0x61616161, 0x61616161).build());
  const e = errorOf(t, blob);
  t.is(e.code, DtbErrorCode.unterminatedName);
  t.is(e.start, blob.readUInt32BE(8) + 4);
});

test('an unknown token is DTS4008 at its offset', (t) => {
  const blob = Buffer.from(new Blob().begin('').raw(0x77).end().raw(END).build());
  t.deepEqual(errorOf(t, blob), { code: DtbErrorCode.badToken, start: blob.readUInt32BE(8) + 8, end: blob.readUInt32BE(8) + 12 });
});

test('a property longer than the structure block is DTS4009', (t) => {
  t.is(errorOf(t, new Blob().begin('').raw(PROP, 0x7fffffff, 0).end().raw(END).build()).code, DtbErrorCode.truncatedProperty);
});

test('FDT_END inside a node, or no FDT_END at all, is an error', (t) => {
  t.is(errorOf(t, new Blob().begin('').raw(END).build()).code, DtbErrorCode.missingEnd);
  t.is(errorOf(t, new Blob().begin('').end().build()).code, DtbErrorCode.truncated);
});

test('deeply nested blobs are read without recursion', (t) => {
  const b = new Blob().begin('');
  for (let i = 0; i < 50_000; i++) b.begin('n');
  for (let i = 0; i < 50_000; i++) b.end();
  const tree = readDtb(b.end().raw(END).build());
  t.is(tree.root.children[0]?.name, 'n');
});

test('random corruption of a valid blob never throws anything but DtsError and never hangs', (t) => {
  const good = minimal().build();
  // A fixed linear congruential generator keeps the run reproducible.
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) >>> 0);
  let rejected = 0;
  for (let i = 0; i < 5000; i++) {
    const blob = Uint8Array.from(good);
    for (let k = 0; k < 1 + (next() % 4); k++) blob[next() % blob.length] = next() & 0xff;
    try {
      readDtb(blob.subarray(0, next() % 8 === 0 ? next() % blob.length : blob.length));
    } catch (e) {
      if (!(e instanceof DtsError)) throw e;
      t.regex(e.diagnostics[0]?.code ?? '', /^DTS4\d{3}$/);
      rejected++;
    }
  }
  t.true(rejected > 0);
});

const dtcTest = hasTool('dtc') ? test : test.skip;
dtcTest('a dtc-compiled blob reads back with the values dtc wrote', (t) => {
  const blob = dtcCompile('/dts-v1/;\n/memreserve/ 0x10 0x20;\n/ { a: n@1 { reg = <1>; s = "x"; }; m { ref = <&a>; }; };');
  const tree = readDtb(blob);
  const n = findNodeByPath(tree.root, '/n@1');
  t.is(n?.phandle, 1);
  t.deepEqual([...(getProperty(findNodeByPath(tree.root, '/m')!, 'ref')?.value.bytes ?? [])], [0, 0, 0, 1]);
  t.deepEqual(stringsOf(getProperty(n!, 's')!.value), ['x']);
  t.deepEqual(tree.memreserves, [{ address: 0x10n, size: 0x20n, labels: [] }]);
});
