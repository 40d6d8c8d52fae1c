import test from 'ava';
import { readFileSync } from 'node:fs';
import { compileDtb } from '../../src/dts/compile.js';
import { printDts } from '../../src/dts/print.js';
import { createNode, type DeviceTree, type DtNode, type Marker, type MarkerKind, type Property } from '../../src/dts/tree.js';
import { DTC_GENERATIONS, findReferenceDtc, missingReason } from './dtc-reference.js';
import { dtcCompile, dtcToDts, fixturePath } from './fixtures-io/reference-tools.js';

/**
 * The printer against each generation's dtc itself: (a) blobs compiled by dtc and printed by `dtc -I dtb -O dts`,
 * where dtc must guess each value's type (and 1.8 restores labels and references); (b) trees carrying the
 * markers dtc's parser attaches, printed as `dtc -I dts -O dts` prints the equivalent source.
 */

for (const generation of DTC_GENERATIONS) {
  const missing = missingReason(generation);
  const ref = findReferenceDtc(generation);
  if (missing || !ref) {
    test.skip(`dtc ${generation}: printer comparisons (${missing ?? ''})`, () => undefined);
    continue;
  }
  test(`dtc ${generation}: a blob with every value shape prints as dtc -I dtb -O dts prints it`, (t) => {
    const blob = dtcCompile(readFileSync(fixturePath('print-values.dts'), 'latin1'), ['-@'], ref.dtc);
    const read = compileDtb(blob, { fileName: 'print-values.dtb', compat: generation });
    t.truthy(read.tree);
    t.is(printDts(read.tree!, { compat: generation }), dtcToDts(blob, 'dtb', ref.dtc));
  });
  test(`dtc ${generation}: markers from source print as dtc -I dts -O dts prints them`, (t) => {
    const { tree, source } = markedTree();
    t.is(printDts(tree, { compat: generation }), dtcToDts(source, 'dts', ref.dtc));
  });
}

/** Builds a value chunk by chunk, adding markers where dtc's parser adds them (dtc-parser.y). */
class Value {
  readonly bytes: number[] = [];
  readonly markers: Marker[] = [];

  private mark(kind: MarkerKind, ref?: string): this {
    this.markers.push(ref === undefined ? { kind, offset: this.bytes.length } : { kind, offset: this.bytes.length, ref });
    return this;
  }

  label(name: string): this {
    return this.mark('label', name);
  }

  /** `<...>`; a string element is a phandle reference resolved to the given number. */
  cells(...items: (number | [ref: string, phandle: number])[]): this {
    this.mark('type-u32');
    for (const item of items) {
      if (Array.isArray(item)) this.mark('ref-phandle', item[0]);
      const v = Array.isArray(item) ? item[1] : item;
      this.bytes.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    }
    return this;
  }

  /** More elements of the array opened by the last cells()/byteString() call (after a label, say). */
  append(...values: number[]): this {
    this.bytes.push(...values);
    return this;
  }

  bits16(...values: number[]): this {
    this.mark('type-u16');
    for (const v of values) this.bytes.push((v >>> 8) & 0xff, v & 0xff);
    return this;
  }

  bits64(...values: bigint[]): this {
    this.mark('type-u64');
    for (const v of values) for (let shift = 56n; shift >= 0n; shift -= 8n) this.bytes.push(Number((v >> shift) & 0xffn));
    return this;
  }

  byteString(...values: number[]): this {
    this.mark('type-u8');
    this.bytes.push(...values);
    return this;
  }

  string(text: string): this {
    this.mark('type-string');
    this.bytes.push(...Buffer.from(text, 'latin1'), 0);
    return this;
  }

  /** `&label` outside cells: the target's path as a string. */
  pathRef(ref: string, path: string): this {
    this.mark('type-string');
    this.mark('ref-path', ref);
    this.bytes.push(...Buffer.from(path, 'latin1'), 0);
    return this;
  }
}

function prop(node: DtNode, name: string, value: Value | undefined, labels: string[] = []): Property {
  const p: Property = {
    name,
    labels,
    value: { bytes: Uint8Array.from(value?.bytes ?? []), markers: value?.markers ?? [] },
    deleted: false,
  };
  node.properties.push(p);
  return p;
}

function child(parent: DtNode, name: string, labels: string[] = []): DtNode {
  const node = createNode(name, parent);
  node.labels = labels;
  parent.children.push(node);
  return node;
}

function markedTree(): { tree: DeviceTree; source: string } {
  const source = `/dts-v1/;
mr: /memreserve/ 0x1000 0x2000;
/ {
	l1: foo: node@1 {
		e = <1 2 end:>;
		str = "a", l2: "b";
		s = "\\x80";
		p = <&foo 1 2>, <&{/bar}>;
		pp = &foo;
		lbl: lbl2: q = <1 in: 2>, "str" , [01 02], /bits/ 16 <3 4>, /bits/ 64 <5>;
		b = [01 mid: 02];
		x = <1>, &foo, "s";
		flag;
	};
	bar { baz = <0>; };
	gone { };
};
/ { /delete-node/ gone; };
`;
  const root = createNode('');
  const tree: DeviceTree = {
    root,
    memreserves: [{ address: 0x1000n, size: 0x2000n, labels: ['mr'] }],
    plugin: false,
    bootCpuidPhys: 0,
  };
  const node = child(root, 'node@1', ['l1', 'foo']);
  prop(node, 'e', new Value().cells(1, 2).label('end'));
  prop(node, 'str', new Value().string('a').label('l2').string('b'));
  prop(node, 's', new Value().string('\x80'));
  prop(node, 'p', new Value().cells(['foo', 1], 1, 2).cells(['/bar', 2]));
  prop(node, 'pp', new Value().pathRef('foo', '/node@1'));
  prop(node, 'q', new Value().cells(1).label('in').append(0, 0, 0, 2).string('str').byteString(1, 2).bits16(3, 4).bits64(5n), ['lbl', 'lbl2']);
  prop(node, 'b', new Value().byteString(1).label('mid').append(2));
  prop(node, 'x', new Value().cells(1).pathRef('foo', '/node@1').string('s'));
  prop(node, 'flag', undefined);
  prop(node, 'phandle', new Value().cells(1)).value.markers = [];
  const bar = child(root, 'bar');
  prop(bar, 'baz', new Value().cells(0));
  prop(bar, 'phandle', new Value().cells(2)).value.markers = [];
  child(root, 'gone').deleted = true;
  return { tree, source };
}
