import { features as featuresOf, type DtcCompat, type DtcFeatures } from './compat.js';
import { insertMarker } from './symbols.js';
import type { DeviceTree, DtNode, Marker, MarkerKind, Property, SourcePosition } from './tree.js';

/**
 * DTS printer that reproduces `dtc -O dts` byte for byte (treesource.c: write_tree_source_node, write_propval,
 * guess_value_type) of the chosen dtc generation. Values carrying type markers (a tree compiled from source)
 * print the way they were written; values without (a tree read from a DTB) get dtc's guess of string, cells
 * or bytes. From dtc 1.7 a phandle cell with a reference marker prints as `&label` or `&{/path}`; dtc 1.8
 * guesses between reference markers (which it restores from a blob's fixups) and prints `/plugin/;`.
 * Labels must be in dtc's list order (livetree.c add_label prepends, so merged nodes list later labels first).
 */

export interface PrintOptions {
  /** The dtc generation whose output to reproduce; the newest when absent. */
  compat?: DtcCompat;
  /**
   * dtc -T (1) and -T -T (2): a comment after each node's opening and closing line and each property with
   * where it was defined (the tree's `sources`, from CompileOptions.annotate); `initialPath` is what level 1
   * shortens file names against (CompileResult.initialPath).
   */
  annotate?: { level: number; initialPath: string };
}

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
function formatString(bytes: Uint8Array, signExtend = true): string {
  if (bytes.length === 0) return '';
  let out = '"';
  for (let i = 0; i < bytes.length - 1; i++) {
    const b = bytes[i] ?? 0;
    const escape = ESCAPES.get(b);
    if (escape !== undefined) out += escape;
    else if (isPrint(b)) out += String.fromCharCode(b);
    // dtc passes a signed char to "%02x", so bytes >= 0x80 print sign-extended (\xffffff80).
    else out += `\\x${hex(b >= 0x80 && signExtend ? (0xffffff00 | b) >>> 0 : b, 2)}`;
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
export function formatPropertyValue(prop: Property, options: PrintOptions = {}): string {
  const f = featuresOf(options.compat);
  return f.compat === '1.6' ? formatPropertyValue16(prop) : formatPropertyValue17(prop, f);
}

function formatPropertyValue16(prop: Property): string {
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

/** dtc 1.7 guess_value_type: 1.6's guess, and a guessed string list gets a string marker per string (95c74d7). */
function guessWhole17(prop: Property, markers: Marker[]): void {
  const type = guessValueType(prop);
  const bytes = prop.value.bytes;
  if (type === 'type-string') {
    const starts: number[] = [];
    for (let l = bytes.indexOf(0) + 1; l < bytes.length; l = bytes.indexOf(0, l) + 1) starts.push(l);
    // add_string_markers appends them to the list, after the markers already there.
    for (const l of starts) markers.push({ kind: 'type-string', offset: l });
  }
  markers.unshift({ kind: type, offset: 0 });
}

/** dtc 1.8 guess_value_type over one chunk, adding string markers (from the list's head) for a string list. */
function guessChunk18(bytes: Uint8Array, markers: Marker[], offset: number, len: number): TypeKind {
  let notString = 0;
  let nul = 0;
  for (let i = offset; i < offset + len; i++) {
    const b = bytes[i] ?? 0;
    if (!isStringByte(b)) notString++;
    if (b === 0) nul++;
  }
  if (bytes[offset + len - 1] === 0 && notString === 0 && nul <= len - nul) {
    if (nul > 1) {
      let at = 0;
      for (let l = bytes.indexOf(0, offset) + 1 - offset; l < len; l = bytes.indexOf(0, offset + l) + 1 - offset) {
        at = insertMarker(markers, at, 'type-string', offset + l);
      }
    }
    return 'type-string';
  }
  return len % 4 === 0 ? 'type-u32' : 'type-u8';
}

/**
 * dtc 1.8 guess_type_markers (64330c6): a value without type markers is guessed chunk by chunk between its
 * markers, a reference marker being a cell of its own. Walks the list as dtc walks its linked list, slot
 * by slot (insertMarker returns dtc's `next` slot), quirks included.
 */
function guessTypeMarkers18(bytes: Uint8Array, markers: Marker[]): void {
  let offset = 0;
  let i = 0;
  for (; i < markers.length; i++) {
    const cur = markers[i];
    if (!cur || isTypeMarker(cur.kind)) return;
    if (cur.offset > offset) {
      const type = guessChunk18(bytes, markers, offset, cur.offset - offset);
      i = insertMarker(markers, i, type, offset);
      offset = markers[i]?.offset ?? offset;
    }
    if (markers[i]?.kind === 'ref-phandle') {
      i = insertMarker(markers, i, 'type-u32', offset);
      offset += 4;
    }
  }
  if (offset < bytes.length) insertMarker(markers, i, guessChunk18(bytes, markers, offset, bytes.length - offset), offset);
}

/** write_propval of dtc 1.7 and 1.8 (37fd700, 3b02a94): references in cells, no padding before other markers. */
function formatPropertyValue17(prop: Property, f: DtcFeatures): string {
  const bytes = prop.value.bytes;
  const len = bytes.length;
  if (len === 0) return ';\n';
  const markers = prop.value.markers.map((m) => ({ ...m }));
  if (f.guess === 'chunks') guessTypeMarkers18(bytes, markers);
  else if (!markers.some((m) => isTypeMarker(m.kind))) guessWhole17(prop, markers);

  let out = ' =';
  let emit: TypeKind | undefined;
  for (let i = 0; i < markers.length; i++) {
    const m = markers[i];
    if (!m) continue;
    const next = markers[i + 1];
    const chunkLen = (next ? next.offset : len) - m.offset;
    let nextType: Marker | undefined;
    for (let k = i + 1; k < markers.length && !nextType; k++) if (isTypeMarker(markers[k]?.kind ?? 'label')) nextType = markers[k];
    const typeLen = nextType ? nextType.offset - m.offset : 0;
    const dataLen = typeLen !== 0 ? typeLen : len - m.offset;
    const chunk = bytes.subarray(m.offset, m.offset + chunkLen);

    if (isTypeMarker(m.kind)) {
      emit = m.kind;
      out += ` ${DELIM_START[emit]}`;
    } else if (m.kind === 'label') out += ` ${m.ref ?? ''}:`;
    if (emit === undefined || chunkLen === 0) continue;

    switch (emit) {
      case 'type-u16':
        out += formatInts(chunk, 2);
        break;
      case 'type-u32': {
        const ref = markers.find((r) => r.kind === 'ref-phandle' && r.offset === m.offset);
        if (ref) {
          const name = ref.ref ?? '';
          out += name.startsWith('/') ? `&{${name}}` : `&${name}`;
          if (chunkLen > 4) out += ` ${formatInts(chunk.subarray(4), 4)}`;
        } else out += formatInts(chunk, 4);
        if (dataLen > chunkLen) out += ' ';
        break;
      }
      case 'type-u64':
        out += formatInts(chunk, 8);
        break;
      case 'type-string':
        out += formatString(chunk, f.signExtendedByteEscapes);
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
function formatNode(root: DtNode, options: PrintOptions): string {
  const out: string[] = [];
  const annotate = options.annotate;
  const note = (sources: readonly SourcePosition[] | undefined, first: boolean): string => {
    if (!annotate) return '';
    const text = sourceComment(sources, first, annotate.level, annotate.initialPath);
    return text === undefined ? '' : ` /* ${text} */`;
  };
  // 'open' prints a node's header and properties, 'close' its `};`; dtc puts a blank line before each child.
  type Step = { kind: 'open' | 'close'; node: DtNode; level: number };
  const steps: Step[] = [{ kind: 'open', node: root, level: 0 }];
  for (let step = steps.pop(); step; step = steps.pop()) {
    const { node, level } = step;
    const indent = '\t'.repeat(level);
    if (step.kind === 'close') {
      out.push(`${indent}};${note(node.sources, false)}\n`);
      continue;
    }
    if (level > 0) out.push('\n');
    out.push(`${indent}${labelPrefix(node.labels)}${node.name ? node.name : '/'} {${note(node.sources, true)}\n`);
    for (const prop of node.properties) {
      if (prop.deleted) continue;
      const text = `${indent}\t${labelPrefix(prop.labels)}${prop.name}${formatPropertyValue(prop, options)}`;
      out.push(annotate ? `${text.slice(0, -1)}${note(prop.sources, true)}\n` : text);
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

/**
 * srcpos.c srcpos_string_comment: every position of the chain, `file:line` (the first or the last line) at
 * level 1 with the name shortened against the input's path, `file:l:c-l:c` at level 2; nothing for a
 * generated item at level 1, `<no-file>:<no-line>` at level 2.
 */
function sourceComment(
  sources: readonly SourcePosition[] | undefined,
  first: boolean,
  level: number,
  initialPath: string,
): string | undefined {
  if (!sources || sources.length === 0) return level > 1 ? '<no-file>:<no-line>' : undefined;
  return sources
    .map((p) => {
      if (level > 1) return `${p.file}:${p.firstLine}:${p.firstColumn}-${p.lastLine}:${p.lastColumn}`;
      return `${shortenToInitialPath(p.file, initialPath) ?? p.file}:${first ? p.firstLine : p.lastLine}`;
    })
    .join(', ');
}

/**
 * srcpos.c shorten_to_initial_path: the name relative to the input's folder, as `../` for each folder of
 * the input's path below the last one they share; undefined when they share no folder.
 */
function shortenToInitialPath(file: string, initialPath: string): string | undefined {
  let lastSlash = -1;
  let slashes = 0;
  for (let i = 0; i < file.length && i < initialPath.length && file[i] === initialPath[i]; i++) {
    if (file[i] === '/') {
      lastSlash = i;
      slashes++;
    }
  }
  if (lastSlash < 0) return undefined;
  const depth = initialPath.split('/').length - 1;
  return '../'.repeat(depth - slashes) + file.slice(lastSlash + 1);
}

/** dt_to_source: the whole tree as `dtc -O dts` prints it; `/plugin/` only from dtc 1.8 (ef3b1ba). */
export function printDts(tree: DeviceTree, options: PrintOptions = {}): string {
  let out = tree.plugin && featuresOf(options.compat).printPluginHeader ? '/dts-v1/;\n/plugin/;\n\n' : '/dts-v1/;\n\n';
  for (const re of tree.memreserves) {
    out += `${labelPrefix(re.labels)}/memreserve/\t0x${hex(re.address, 16)} 0x${hex(re.size, 16)};\n`;
  }
  return out + formatNode(tree.root, options);
}
