import type { ClientIdentity } from '../src/protocol/session/backend.js';

/**
 * Who the request being handled right now comes from. The server runs one request at a time to completion
 * (docs/protocol.md section 2), so a value set around a backend call is exact for every trace event the
 * call emits synchronously; between requests (timeline events, RESET) it is undefined.
 */
export class CurrentClient {
  name: string | undefined;
  readonly #uses = new Map<string, number>();

  /**
   * The name a connection goes by in traces and reports: its HELLO name, with `#N` appended for the Nth
   * connection that used the same name (every `mdio-emu client` run says `mdio-emu-cli`).
   */
  nameFor(client: ClientIdentity): string {
    const n = (this.#uses.get(client.name) ?? 0) + 1;
    this.#uses.set(client.name, n);
    return n === 1 ? client.name : `${client.name}#${n}`;
  }

  run<T>(name: string, body: () => T): T {
    const outer = this.name;
    this.name = name;
    try {
      return body();
    } finally {
      this.name = outer;
    }
  }
}
