import { MAX_VIRTUAL_NS } from '../clock.js';
import { TraceError, TraceErrorCode } from './errors.js';
import type { TraceRecord } from './record.js';

/**
 * Linux's `mdio:mdio_access` trace event as text (/sys/kernel/tracing/trace or trace_pipe). The event prints
 * "%s %-5s phy:0x%02hhx reg:0x%02x val:0x%04hx" (include/trace/events/mdio.h) after ftrace's usual
 * "<task>-<pid> [cpu] flags timestamp: mdio_access: " prefix. Task names may hold spaces and dashes, the
 * flags column is absent in older formats, and other events are interleaved, so the line is matched from
 * the event name outwards rather than split on columns.
 *
 * Only successful accesses are traced (TP_CONDITION(err >= 0)). Up to Linux 6.2 a Clause 45 access keeps
 * MII_ADDR_C45 (bit 30) and the MMD in bits 16-20 of `regnum`, so reg:0x40010005 is MMD 1, register 5.
 */
const EVENT =
  /^(.*?)\s(\d+(?:\.\d+)?):\s+mdio_access:\s+(.*?)\s+(read|write)\s+phy:0x([0-9a-f]{1,2})\s+reg:0x([0-9a-f]+)\s+val:0x([0-9a-f]{1,4})\s*$/i;
const TASK = /^\s*(.*?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]/;
const MII_ADDR_C45 = 1 << 30;

export interface MdioAccessImport {
  records: TraceRecord[];
  /** Lines that were other trace events, headers or comments. */
  skipped: number;
}

export function importMdioAccess(text: string, file?: string): MdioAccessImport {
  const records: TraceRecord[] = [];
  let skipped = 0;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const m = EVENT.exec(line);
    if (!m) {
      if (line.trim() !== '') skipped++;
      return;
    }
    const [, prefix = '', ts = '0', bus = '', op = 'read', addr = '0', reg = '0', val = '0'] = m;
    const phy = Number.parseInt(addr, 16);
    // __mdiobus_read/write return -ENXIO for addr >= PHY_MAX_ADDR before tracing (drivers/net/phy/mdio_bus.c),
    // and only successful accesses are traced: such a line is not kernel output.
    if (phy > 0x1f)
      throw new TraceError(
        TraceErrorCode.MALFORMED,
        i + 1,
        `phy:0x${addr} is not a PHY address (0x00-0x1f)`,
        file,
      );
    const vtNs = Math.round(Number(ts) * 1e9);
    if (!(vtNs <= MAX_VIRTUAL_NS))
      throw new TraceError(
        TraceErrorCode.MALFORMED,
        i + 1,
        `time ${ts} s is past ${MAX_VIRTUAL_NS} ns`,
        file,
      );
    const regnum = Number.parseInt(reg, 16);
    const value = Number.parseInt(val, 16);
    const record: TraceRecord = {
      vtNs,
      bus,
      op: op.toLowerCase() === 'read' ? 'read' : 'write',
      addr: phy,
      reg: regnum,
      value,
      // 22.2.4.5: nobody drives a pulled-up MDIO line, so an all-ones read is how "no PHY" looks.
      result: op.toLowerCase() === 'read' && value === 0xffff ? 'no-response' : 'ok',
      line: i + 1,
    };
    if (regnum & MII_ADDR_C45) {
      record.devad = (regnum >>> 16) & 0x1f;
      record.reg = regnum & 0xffff;
    }
    const task = TASK.exec(prefix);
    if (task) record.client = `${task[1]}-${task[2]}`;
    records.push(record);
  });
  return { records, skipped };
}

/** True when the text holds at least one mdio_access event (how `readAnyTrace` tells the formats apart). */
export function looksLikeMdioAccess(text: string): boolean {
  return /mdio_access:\s/.test(text.slice(0, 1 << 20));
}
