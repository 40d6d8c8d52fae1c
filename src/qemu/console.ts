import { markerPrefix } from './init-script.js';
import { parseKmsgLine, type KmsgRecord } from './kernel-log.js';

/** One `@@mdio-emu {json}` block from the guest console with the payload lines that followed it. */
export interface AgentBlock {
  kind: string;
  fields: Record<string, unknown>;
  lines: string[];
}

export interface ConsoleSink {
  /** A complete kmsg record (its dictionary lines have arrived, or the next record began). */
  kmsg(record: KmsgRecord): void;
  /** An agent block, complete once the next line that is not its payload arrives. */
  block(block: AgentBlock): void;
  /** A line the kernel printed on the console itself (a dying kernel prints there, not through /dev/kmsg). */
  consoleLine(tsUs: number, text: string): void;
}

/**
 * Incremental parser of the guest console: feed it chunks as QEMU prints them. Three kinds of lines share it:
 * kmsg records copied by the agent (`6,123,4567890,-;text`, then ` KEY=value` dictionary lines), the agent's
 * marker blocks, and the kernel's own console output (`[    1.234567] text`, with printk.time=1). A marker
 * may sit after other output on the same line (console interleaving), so it is searched anywhere in a line.
 */
export class ConsoleParser {
  #pending = '';
  #record: KmsgRecord | undefined;
  #block: AgentBlock | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly sink: ConsoleSink,
    /**
     * How long a record may wait for its dictionary lines once its chunk has ended, when no other line comes.
     * The console may split a record from its ` DEVICE=` lines by as long as the host is busy (a deferral
     * without its DEVICE= has no device-tree node), so this is a fallback for a guest gone silent, not the
     * normal end of a record: the agent's heartbeat (every 200 ms of guest time) ends it sooner, and the
     * record's time is the guest's own, so waiting changes no verdict.
     */
    private readonly dictionaryWaitMs = 1000,
  ) {}

  push(chunk: string): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending += chunk;
    let start = 0;
    let nl: number;
    while ((nl = this.#pending.indexOf('\n', start)) >= 0) {
      this.#line(this.#pending.slice(start, nl).replace(/\r$/, ''));
      start = nl + 1;
    }
    // One slice per chunk, not per line: a long burst of lines is parsed in linear time.
    this.#pending = this.#pending.slice(start);
    if (this.#record)
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#flushRecord();
      }, this.dictionaryWaitMs);
  }

  /** Flushes a last line without a newline and whatever is still open (QEMU exited). */
  end(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending) this.#line(this.#pending);
    this.#pending = '';
    this.#flushRecord();
    this.#flushBlock();
  }

  #line(line: string): void {
    if (line.startsWith(' ') && this.#record) {
      const eq = line.indexOf('=');
      if (eq > 1) this.#record.dict.set(line.slice(1, eq), line.slice(eq + 1));
      return;
    }
    // Any other line ends a record's dictionary.
    this.#flushRecord();
    const at = line.indexOf(markerPrefix);
    if (at >= 0) {
      const rest = line.slice(at + markerPrefix.length);
      if (rest.startsWith('|')) {
        this.#block?.lines.push(rest.slice(1));
        return;
      }
      this.#flushBlock();
      this.#flushRecord();
      let json: unknown;
      try {
        json = JSON.parse(rest.trim());
      } catch {
        return; // a marker torn by interleaved output: nothing reliable to keep
      }
      if (typeof json !== 'object' || json === null) return;
      const fields = json as Record<string, unknown>;
      this.#block = { kind: typeof fields.kind === 'string' ? fields.kind : 'unknown', fields, lines: [] };
      return;
    }
    const k = parseKmsgLine(line);
    if (k) {
      // A kernel record may land between an agent block's payload lines: the block stays open.
      this.#flushRecord();
      this.#record = { ...k, dict: new Map() };
      return;
    }
    const c = /^\[\s*(\d+)\.(\d{6})\] (.*)$/.exec(line);
    if (c) {
      this.#flushRecord();
      this.sink.consoleLine(Number(c[1]) * 1_000_000 + Number(c[2]), c[3] ?? '');
    }
  }

  #flushRecord(): void {
    if (this.#record) this.sink.kmsg(this.#record);
    this.#record = undefined;
  }

  /** Delivers the open agent block now: its writer has said (in the kernel log) that it is complete. */
  flushBlock(): void {
    this.#flushBlock();
  }

  #flushBlock(): void {
    if (this.#block) this.sink.block(this.#block);
    this.#block = undefined;
  }
}
