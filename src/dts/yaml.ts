import type { DeviceTree, DtNode, Property } from './tree.js';

/**
 * `dtc -O yaml` (yamltree.c dt_to_yaml): the tree as the YAML the devicetree schema tools read, character for
 * character as dtc prints it through libyaml's emitter. dtc hands libyaml a fixed shape of events (a document
 * holding a one-item sequence, a block mapping per node, a flow sequence of typed chunks per property), so
 * only the emitter behaviour those events reach is reproduced here: block and flow layout with libyaml's
 * defaults (indent 2, lines broken at column 80 before a flow item or inside a double-quoted string), when a
 * key must be quoted (libyaml's scalar analysis), tags (`!u8`, `!u16`, `!u64` on arrays, `!phandle` on
 * references) and double-quoted escapes.
 */

const BEST_WIDTH = 80;
const BEST_INDENT = 2;

export class YamlOutputError extends Error {
  override readonly name = 'YamlOutputError';
}

/** libyaml's emitter state for the parts dtc uses. */
class Emitter {
  private out = '';
  column = 0;
  /** The last character written was whitespace (or nothing yet): no separating space needed. */
  private whitespace = true;
  /** Only indentation written on this line so far. */
  private indention = true;
  indent = -1;
  private readonly indents: number[] = [];
  /** Per open flow sequence: no item written yet. */
  private readonly firstItem: boolean[] = [];

  text(): string {
    return this.out;
  }

  private put(s: string): void {
    this.out += s;
    this.column += s.length;
  }

  private newline(): void {
    this.out += '\n';
    this.column = 0;
  }

  writeIndent(): void {
    const indent = this.indent >= 0 ? this.indent : 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.newline();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(indicator);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  popIndent(): void {
    this.indent = this.indents.pop() ?? -1;
  }

  /** A flow sequence (yaml_emitter_emit_flow_sequence_item), optionally tagged; `items` writes through item(). */
  flowSequence(tag: string | undefined, items: () => void): void {
    if (tag) this.writeTag(tag);
    this.writeIndicator('[', true, true, false);
    this.increaseIndent(true, false);
    this.firstItem.push(true);
    items();
    this.firstItem.pop();
    this.popIndent();
    this.writeIndicator(']', false, false, false);
  }

  /** One item of the innermost flow sequence: `,` between items, a line break once past column 80. */
  item(body: () => void): void {
    const top = this.firstItem.length - 1;
    if (!this.firstItem[top]) this.writeIndicator(',', false, false, false);
    if (this.column > BEST_WIDTH) this.writeIndent();
    this.firstItem[top] = false;
    body();
  }

  /** A tag handle and suffix, `!u8` or `!phandle`, separated from what precedes it. */
  writeTag(tag: string): void {
    if (!this.whitespace) this.put(' ');
    this.put(tag);
    this.whitespace = false;
    this.indention = false;
  }

  writePlain(value: string): void {
    if (!this.whitespace) this.put(' ');
    this.put(value);
    this.whitespace = false;
    this.indention = false;
  }

  writeSingleQuoted(value: string): void {
    this.writeIndicator("'", true, false, false);
    this.put(value.replace(/'/g, "''"));
    this.writeIndicator("'", false, false, false);
  }

  /** yaml_emitter_write_double_quoted with breaks allowed (values, never keys, are double-quoted here). */
  writeDoubleQuoted(value: string): void {
    // yaml_emitter_emit_scalar writes every scalar one indentation step in, which is where a break continues.
    this.increaseIndent(true, false);
    this.writeIndicator('"', true, false, false);
    let spaces = false;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (!isPrintable(c) || c > 0x7e || c === 0x0a || c === 0x22 || c === 0x5c) {
        this.put(escape(c));
        spaces = false;
      } else if (c === 0x20) {
        if (!spaces && this.column > BEST_WIDTH && i !== 0 && i !== value.length - 1) {
          this.writeIndent();
          if (value.charCodeAt(i + 1) === 0x20) this.put('\\');
        } else this.put(' ');
        spaces = true;
      } else {
        this.put(value[i] ?? '');
        spaces = false;
      }
      this.whitespace = false;
      this.indention = false;
    }
    this.writeIndicator('"', false, false, false);
    this.popIndent();
  }
}

/** libyaml IS_PRINTABLE for the bytes dtc can pass (ASCII: dtc asserts that strings are). */
function isPrintable(c: number): boolean {
  return c === 0x0a || (c >= 0x20 && c <= 0x7e) || c === 0x85 || c >= 0xa0;
}

const ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x00, '0'],
  [0x07, 'a'],
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0b, 'v'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x1b, 'e'],
  [0x22, '"'],
  [0x5c, '\\'],
]);

function escape(c: number): string {
  const short = ESCAPES.get(c);
  return short !== undefined ? `\\${short}` : `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** libyaml yaml_emitter_analyze_scalar, reduced to what decides a mapping key's style: plain, '...' or "...". */
function keyStyle(value: string): 'plain' | 'single' | 'double' {
  if (value.length === 0) return 'single';
  const blankz = (i: number): boolean => i >= value.length || value[i] === ' ' || value[i] === '\t' || value[i] === '\n' || value[i] === '\r';
  let blockIndicators = value.startsWith('---') || value.startsWith('...');
  let special = false;
  let lineBreaks = false;
  let spaceEdge = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] ?? '';
    const followed = blankz(i + 1);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ((ch === '?' || ch === ':') && followed) blockIndicators = true;
      if (ch === '-' && followed) blockIndicators = true;
    } else {
      if (ch === ':' && followed) blockIndicators = true;
      if (ch === '#' && blankz(i - 1)) blockIndicators = true;
    }
    const c = value.charCodeAt(i);
    if (!isPrintable(c) || c > 0x7e) special = true;
    if (ch === '\n' || ch === '\r') lineBreaks = true;
    if ((ch === ' ' || ch === '\n') && (i === 0 || i === value.length - 1)) spaceEdge = true;
  }
  if (special || lineBreaks) return 'double';
  if (spaceEdge || blockIndicators) return 'single';
  return 'plain';
}

const TYPE_WIDTH: Readonly<Record<string, 1 | 2 | 4 | 8>> = { 'type-u8': 1, 'type-u16': 2, 'type-u32': 4, 'type-u64': 8 };

/** yamltree.c yaml_propval: `name: true`, or a flow sequence with one item per typed chunk of the value. */
function emitProperty(e: Emitter, prop: Property): void {
  const bytes = prop.value.bytes;
  if (bytes.length === 0) {
    e.writePlain('true');
    return;
  }
  // A value without type markers is /incbin/ data, which dtc marks TYPE_NONE (data.c data_copy_file) and
  // yamltree.c skips: an empty sequence. (dtc's "No markers present" cannot happen for source input.)
  const markers = prop.value.markers;
  const typed = [...markers].filter((m) => m.kind.startsWith('type-')).sort((a, b) => a.offset - b.offset);
  const phandleAt = new Set(markers.filter((m) => m.kind === 'ref-phandle').map((m) => m.offset));
  e.flowSequence(undefined, () => {
    let remaining = bytes.length;
    typed.forEach((m, i) => {
      const next = typed[i + 1];
      const chunk = next ? next.offset - m.offset : remaining;
      remaining -= chunk;
      e.item(() => {
        if (m.kind === 'type-string') {
          for (let j = m.offset; j < m.offset + chunk; j++)
            if ((bytes[j] ?? 0) > 0x7f) throw new YamlOutputError(`non-ASCII string in property '${prop.name}'`);
          e.writeDoubleQuoted(String.fromCharCode(...bytes.subarray(m.offset, m.offset + chunk - 1)));
          return;
        }
        const width = TYPE_WIDTH[m.kind] ?? 1;
        const view = new DataView(bytes.buffer, bytes.byteOffset + m.offset, chunk);
        e.flowSequence(width === 4 ? undefined : `!u${width * 8}`, () => {
          for (let off = 0; off + width <= chunk; off += width) {
            const n =
              width === 1 ? view.getUint8(off) : width === 2 ? view.getUint16(off) : width === 4 ? view.getUint32(off) : view.getBigUint64(off);
            e.item(() => {
              if (width === 4 && phandleAt.has(m.offset + off)) e.writeTag('!phandle');
              e.writePlain(`0x${n.toString(16)}`);
            });
          }
        });
      });
    });
  });
}

function emitKey(e: Emitter, name: string, quotedTag: boolean): void {
  e.writeIndent();
  const style = keyStyle(name);
  // A node name's event says its plain form is implicit and its quoted form is not: quoted, it gets `!`.
  if (style !== 'plain' && quotedTag) e.writeTag('!');
  if (style === 'plain') e.writePlain(name);
  else if (style === 'single') e.writeSingleQuoted(name);
  else e.writeDoubleQuoted(name);
  e.writeIndicator(':', false, false, false);
}

/** yamltree.c yaml_tree: a node as a mapping of its properties, then its children; empty ones as `{}`. */
function emitNode(e: Emitter, node: DtNode): void {
  const props = node.properties.filter((p) => !p.deleted);
  const children = node.children.filter((c) => !c.deleted);
  if (props.length === 0 && children.length === 0) {
    e.writeIndicator('{', true, true, false);
    e.writeIndicator('}', false, false, false);
    return;
  }
  e.increaseIndent(false, false);
  for (const p of props) {
    emitKey(e, p.name, false);
    emitProperty(e, p);
  }
  for (const c of children) {
    emitKey(e, c.name, true);
    emitNode(e, c);
  }
  e.popIndent();
}

/** dt_to_yaml: `---`, the root node as the one item of a block sequence, `...`. */
export function printYaml(tree: DeviceTree): string {
  const e = new Emitter();
  e.writeIndicator('---', true, false, false);
  e.increaseIndent(false, false);
  e.writeIndent();
  e.writeIndicator('-', true, false, true);
  emitNode(e, tree.root);
  e.popIndent();
  e.writeIndent();
  e.writeIndicator('...', true, false, false);
  e.writeIndent();
  return e.text();
}
