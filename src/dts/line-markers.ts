import type { SourceFile } from '../diagnostics/source.js';

/**
 * cpp line markers (`# 12 "board.dtsi" 1`) in DTS input that was preprocessed outside mdio-emu, turned into
 * file:line positions the way dtc's lexer does (dtc-lexer.l: srcpos_set_line(name, number - 1), so the line
 * after the marker is line `number` of the named file; columns stay those of the marked-up text).
 */

/** One marker: the line after the one holding `offset` in the marked-up text is `line` of `file`. */
export interface LineMarker {
  readonly offset: number;
  readonly file: string;
  readonly line: number;
}

/** A 1-based line and column in a named file. */
export interface MarkedPosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export class LineMarkerMap {
  private readonly markers: LineMarker[] = [];

  /** `text` is the marked-up input; offsets before the first marker stay in it. */
  constructor(private readonly text: SourceFile) {}

  /** The scanner reports markers in text order, so the list stays sorted by offset. */
  add(marker: LineMarker): void {
    this.markers.push(marker);
  }

  get isEmpty(): boolean {
    return this.markers.length === 0;
  }

  position(offset: number): MarkedPosition {
    const at = this.text.position(offset);
    const marker = this.lastMarkerAtOrBefore(offset);
    if (!marker) return { file: this.text.name, ...at };
    const markerLine = this.text.position(marker.offset).line;
    return { file: marker.file, line: marker.line + at.line - markerLine - 1, column: at.column };
  }

  private lastMarkerAtOrBefore(offset: number): LineMarker | undefined {
    let lo = 0;
    let hi = this.markers.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.markers[mid]?.offset ?? 0) <= offset) lo = mid + 1;
      else hi = mid;
    }
    return this.markers[lo - 1];
  }
}
