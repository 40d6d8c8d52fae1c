import type { DeviceTree, DtNode, Marker, MarkerKind, Property } from './tree.js';

/**
 * DTS printer that reproduces `dtc -O dts` of dtc 1.6.1 byte for byte (treesource.c: write_tree_source_node,
 * write_propval, guess_value_type). Values carrying type markers (a tree compiled from source) print the
 * way they were written; values without (a tree read from a DTB) get dtc's guess of string, cells or bytes.
 * Labels must be in dtc's list order (livetree.c add_label prepends, so merged nodes list later labels first).
 */

type TypeKind = Extract<MarkerKind, `type-${string}`>;

const DELIM_START: Record<TypeKind, string> = {
  'type-u8': '[',
  'type-u16': '/bits/ 16 <',
  'type-u32': '<',
  'type-u64': '/bits/ 64 <',
  'type-string': '',
};
const DELIM_END: Record<TypeKind, string> = {
  'type-u8': ']',
  'type-u16': '>',
  'type-u32': '>',
  'type-u64': '>',
  'type-string': '',
};

function isTypeMarker(kind: MarkerKind): kind is TypeKind {
  return kind.startsWith('type-');
}

/** C's isprint in the "C" locale. */
function isPrint(b: number): boolean {
  return b >= 0x20 && b <= 0x7e;
}

/** treesource.c isstring: printable, NUL, or one of \a \b \t \n \v \f \r. */
function isStringByte(b: number): boolean {
  return isPrint(b) || b === 0 || (b >= 0x07 && b <= 0x0d);
}

const ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x07, '\\a'],
  [0x08, '\\b'],
  [0x09, '\\t'],
  [0x0a, '\\n'],
  [0x0b, '\\v'],
  [0x0c, '\\f'],
  [0x0d, '\\r'],
  [0x5c, '\\\\'],
  [0x22, '\\"'],
  [0x00, '\\0'],
]);

function hex(n: number | bigint, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** write_propval_string: the chunk's last byte is its terminating NUL and is not printed. */
function formatString(bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  let out = '"';
  for (let i = 0; i < bytes.length - 1; i++) {
    const b = bytes[i] ?? 0;
    const escape = ESCAPES.get(b);
    if (escape !== undefined) out += escape;
    else if (isPrint(b)) out += String.fromCharCode(b);
    // dtc passes a signed char to "%02x", so bytes >= 0x80 print sign-extended (\xffffff80).
    else out += `\\x${hex(b >= 0x80 ? (0xffffff00 | b) >>> 0 : b, 2)}`;
  }
  return out + '"';
}

/** write_propval_int: bytes as `%02x`, wider cells as `0x%02x`, space-separated. */
function formatInts(bytes: Uint8Array, width: 1 | 2 | 4 | 8): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: string[] = [];
  for (let i = 0; i + width <= bytes.length; i += width) {
    switch (width) {
      case 1:
        parts.push(hex(view.getUint8(i), 2));
        break;
      case 2:
        parts.push(`0x${hex(view.getUint16(i), 2)}`);
        break;
      case 4:
        parts.push(`0x${hex(view.getUint32(i), 2)}`);
        break;
      case 8:
        parts.push(`0x${hex(view.getBigUint64(i), 2)}`);
        break;
    }
  }
  return parts.join(' ');
}

/** guess_value_type, for values that carry no type markers (dtc 1.6.1 compares with <=). */
function guessValueType(prop: Property): TypeKind {
  const bytes = prop.value.bytes;
  const len = bytes.length;
  let notString = 0;
  let nul = 0;
  for (const b of bytes) {
    if (!isStringByte(b)) notString++;
    if (b === 0) nul++;
  }
  let labelNotAfterNul = 0;
  let labelNotOnCell = 0;
  for (const m of prop.value.markers) {
    if (m.kind !== 'label') continue;
    if (m.offset > 0 && bytes[m.offset - 1] !== 0) labelNotAfterNul++;
    if (m.offset % 4 !== 0) labelNotOnCell++;
  }
  if (bytes[len - 1] === 0 && notString === 0 && nul <= len - nul && labelNotAfterNul === 0) return 'type-string';
  if (len % 4 === 0 && labelNotOnCell === 0) return 'type-u32';
  return 'type-u8';
}

function sortedMarkers(markers: readonly Marker[]): Marker[] {
  // Array.prototype.sort is stable, so markers at one offset keep the parser's order (type before ref).
  return [...markers].sort((a, b) => a.offset - b.offset);
}

/** write_propval: everything after the property name, up to and including the newline. */
export function formatPropertyValue(prop: Property): string {
  const bytes = prop.value.bytes;
  const len = bytes.length;
  if (len === 0) return ';\n';
  let markers = sortedMarkers(prop.value.markers);
  if (!markers.some((m) => isTypeMarker(m.kind))) markers = [{ kind: guessValueType(prop), offset: 0 }, ...markers];

  let out = ' =';
  let emit: TypeKind | undefined;
  for (let i = 0; i < markers.length; i++) {
    const m = markers[i];
    if (!m) continue;
    const next = markers[i + 1];
    const chunkLen = (next ? next.offset : len) - m.offset;
    const nextType = markers.slice(i + 1).find((n) => isTypeMarker(n.kind));
    const typeLen = nextType ? nextType.offset - m.offset : 0;
    const dataLen = typeLen !== 0 ? typeLen : len - m.offset;
    const chunk = bytes.subarray(m.offset, m.offset + chunkLen);

    if (isTypeMarker(m.kind)) {
      emit = m.kind;
      out += ` ${DELIM_START[emit]}`;
    } else if (m.kind === 'label') {
      out += ` ${m.ref ?? ''}:`;
    } else if (m.offset !== 0) {
      out += ' ';
    }
    if (emit === undefined) continue;

    switch (emit) {
      case 'type-u16':
        out += formatInts(chunk, 2);
        break;
      case 'type-u32':
        out += formatInts(chunk, 4);
        break;
      case 'type-u64':
        out += formatInts(chunk, 8);
        break;
      case 'type-string':
        out += formatString(chunk);
        break;
      case 'type-u8':
        out += formatInts(chunk, 1);
        break;
    }
    if (chunkLen === dataLen) {
      out += DELIM_END[emit] + (m.offset + chunkLen === len ? '' : ',');
      emit = undefined;
    }
  }
  return `${out};\n`;
}

function labelPrefix(labels: readonly string[]): string {
  return labels.map((l) => `${l}: `).join('');
}

/** write_tree_source_node, iteratively so a deep tree read from a hostile blob cannot overflow the stack. */
function formatNode(root: DtNode): string {
  const out: string[] = [];
  // 'open' prints a node's header and properties, 'close' its `};`; dtc puts a blank line before each child.
  type Step = { kind: 'open' | 'close'; node: DtNode; level: number };
  const steps: Step[] = [{ kind: 'open', node: root, level: 0 }];
  for (let step = steps.pop(); step; step = steps.pop()) {
    const { node, level } = step;
    const indent = '\t'.repeat(level);
    if (step.kind === 'close') {
      out.push(`${indent}};\n`);
      continue;
    }
    if (level > 0) out.push('\n');
    out.push(`${indent}${labelPrefix(node.labels)}${node.name ? node.name : '/'} {\n`);
    for (const prop of node.properties) {
      if (prop.deleted) continue;
      out.push(`${indent}\t${labelPrefix(prop.labels)}${prop.name}${formatPropertyValue(prop)}`);
    }
    steps.push({ kind: 'close', node, level });
    const children = node.children.filter((c) => !c.deleted);
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child) steps.push({ kind: 'open', node: child, level: level + 1 });
    }
  }
  return out.join('');
}

/** dt_to_source: the whole tree as `dtc -O dts` prints it. dtc 1.6.1 does not print `/plugin/`. */
export function printDts(tree: DeviceTree): string {
  let out = '/dts-v1/;\n\n';
  for (const re of tree.memreserves) {
    out += `${labelPrefix(re.labels)}/memreserve/\t0x${hex(re.address, 16)} 0x${hex(re.size, 16)};\n`;
  }
  return out + formatNode(tree.root);
}
