import { markerPrefix } from './init-script.js';

/** One `@@mdio-emu {json}` event from the guest console with the payload lines that followed it. */
export interface GuestEvent {
  kind: string;
  /** Guest milliseconds since /init started. */
  t: number;
  fields: Record<string, unknown>;
  lines: string[];
  /** Host time (ms, the orchestrator's clock) when the line arrived. */
  hostMs: number;
}

/**
 * Incremental parser of the guest console: feed it chunks as QEMU prints them. A marker may sit after
 * kernel output on the same line (console interleaving), so it is searched anywhere in the line.
 */
export class ConsoleMarkerParser {
  readonly events: GuestEvent[] = [];
  private pending = '';

  constructor(
    private readonly onEvent: (e: GuestEvent) => void = () => {},
    private readonly now: () => number = () => 0,
  ) {}

  push(chunk: string): void {
    this.pending += chunk;
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      this.line(this.pending.slice(0, nl).replace(/\r$/, ''));
      this.pending = this.pending.slice(nl + 1);
    }
  }

  /** Flushes a last line without a newline (QEMU exits right after poweroff). */
  end(): void {
    if (this.pending) this.line(this.pending);
    this.pending = '';
  }

  private line(line: string): void {
    const at = line.indexOf(markerPrefix);
    if (at < 0) return;
    const rest = line.slice(at + markerPrefix.length);
    if (rest.startsWith('|')) {
      this.events.at(-1)?.lines.push(rest.slice(1));
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(rest.trim());
    } catch {
      return; // a marker torn by interleaved kernel output: nothing reliable to keep
    }
    if (typeof json !== 'object' || json === null) return;
    const fields = json as Record<string, unknown>;
    const event: GuestEvent = {
      kind: typeof fields.kind === 'string' ? fields.kind : 'unknown',
      t: typeof fields.t === 'number' ? fields.t : Number.NaN,
      fields,
      lines: [],
      hostMs: this.now(),
    };
    this.events.push(event);
    this.onEvent(event);
  }
}
