import { mapBuses, type Difference } from '../replay/verify.js';
import type { TraceRecord } from '../replay/record.js';
import type { MdioClient } from './client.js';
import { RemoteError } from './codec/errors.js';

export interface RemoteVerifyOptions {
  /** As `verifyTrace`: `absolute` for our traces (recorded from t = 0), `first-record` for kernel text. */
  timeBase?: 'absolute' | 'first-record';
  /** Trace bus name -> the daemon's bus path; default `mapBuses` against the daemon's topology. */
  busMap?: ReadonlyMap<string, string>;
  /** RESET the daemon first, so the models start where the recording started (default true). */
  reset?: boolean;
}

export interface RemoteVerifyReport {
  checked: number;
  reads: number;
  /** Reads whose value, or whether a PHY answered, differs; and requests the daemon refused (`gotResult: 'error'`). */
  differences: (Difference & { error?: string })[];
  busMap: Map<string, string>;
}

/**
 * `verifyTrace` through the socket: drives a running daemon's models with the recorded requests, moving
 * its virtual clock (CLOCK run) to each record's time, and compares every read. Requests are pipelined in
 * trace order (the server executes one connection's requests in order, docs/protocol.md section 2), so
 * the whole trace costs one round trip per socket buffer rather than one per transaction.
 * A read "had no response" when the daemon's topology has no PHY at that address: the protocol's read
 * reply carries only the value, and an empty address reads 0xffff (802.3 22.2.4.5).
 * Clause 45 address records are not sent on their own: each C45_READ/C45_WRITE performs its address frame.
 */
export async function verifyThroughClient(
  client: MdioClient,
  records: readonly TraceRecord[],
  options: RemoteVerifyOptions = {},
): Promise<RemoteVerifyReport> {
  if (options.reset ?? true) await client.reset();
  const topology = await client.topology();
  const busMap = options.busMap
    ? new Map(options.busMap)
    : mapBuses(
        records,
        topology.buses.map((b) => b.path),
      );
  const busIds = new Map(topology.buses.map((b) => [b.path, b.id]));
  const present = new Set(topology.buses.flatMap((b) => b.phys.map((p) => `${b.path}\u0000${p.addr}`)));
  const start = (await client.clock('get')).nowNs;
  const t0 = options.timeBase === 'first-record' ? (records[0]?.vtNs ?? 0) : 0;
  let now = start;
  let reads = 0;
  const pending: Promise<(Difference & { error?: string }) | undefined>[] = [];
  for (const [index, record] of records.entries()) {
    const path = busMap.get(record.bus);
    const bus = path === undefined ? undefined : busIds.get(path);
    if (path === undefined || bus === undefined)
      throw new Error(
        `no daemon bus for trace bus ${record.bus} (daemon has ${[...busIds.keys()].join(', ')})`,
      );
    const at = start + BigInt(Math.max(0, Math.round(record.vtNs - t0)));
    if (at > now) {
      pending.push(client.clock('run', at - now).then(() => undefined));
      now = at;
    }
    if (record.result === 'error' || record.op === 'address') continue;
    const refused = (err: unknown) => {
      if (!(err instanceof RemoteError)) throw err;
      return { index, record, got: 0, gotResult: 'error' as const, error: err.message };
    };
    if (record.op === 'write') {
      const done =
        record.devad === undefined
          ? client.c22Write(bus, record.addr, record.reg, record.value)
          : client.c45Write(bus, record.addr, record.devad, record.reg, record.value);
      pending.push(done.then(() => undefined, refused));
      continue;
    }
    reads++;
    const answered = present.has(`${path}\u0000${record.addr}`);
    const read =
      record.devad === undefined
        ? client.c22Read(bus, record.addr, record.reg)
        : client.c45Read(bus, record.addr, record.devad, record.reg);
    pending.push(
      read.then((got) => {
        const gotResult = answered ? ('ok' as const) : ('no-response' as const);
        const same =
          got === record.value && (gotResult === 'no-response') === (record.result === 'no-response');
        return same ? undefined : { index, record, got, gotResult };
      }, refused),
    );
  }
  const differences = (await Promise.all(pending)).filter((d) => d !== undefined);
  return { checked: records.length, reads, differences, busMap };
}
