import { Cap, type CapName } from './constants.js';

/** A capability word array, as carried after the hello's version string. */
export type CapWords = readonly number[];

export function capsFrom(names: readonly CapName[]): number[] {
  let word = 0;
  for (const name of names) word |= 1 << Cap[name];
  return [word >>> 0];
}

export function hasCap(words: CapWords, name: CapName): boolean {
  const bit = Cap[name];
  return (((words[bit >> 5] ?? 0) >>> (bit & 31)) & 1) === 1;
}

/**
 * What both peers agreed on. usbredirparser treats an optional field or a wider header as present
 * only when *both* sides advertise the capability, and knows nothing of the peer before its hello
 * (so the hello itself always travels with a 32-bit id header).
 */
export class Negotiation {
  private peerWords: CapWords | undefined;
  constructor(readonly ours: CapWords) {}

  get peerHelloSeen(): boolean {
    return this.peerWords !== undefined;
  }
  get peer(): CapWords | undefined {
    return this.peerWords;
  }
  setPeer(words: CapWords): void {
    this.peerWords = [...words];
  }
  /** Forget the peer, as a fresh connection must. */
  resetPeer(): void {
    this.peerWords = undefined;
  }
  we(name: CapName): boolean {
    return hasCap(this.ours, name);
  }
  peerHas(name: CapName): boolean {
    return this.peerWords !== undefined && hasCap(this.peerWords, name);
  }
  both(name: CapName): boolean {
    return this.we(name) && this.peerHas(name);
  }
}
