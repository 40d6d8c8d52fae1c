import type { ResolutionMethod } from './autoneg.js';
import type { Duplex, Speed } from './modes.js';

/** Typed PHY trace events (dotted names, style.md "Naming"); `t` is virtual time in ns. */
export type PhyEvent =
  | {
      type: 'phy.link';
      t: number;
      phy: string;
      up: boolean;
      speed: Speed;
      duplex: Duplex;
      method: ResolutionMethod;
    }
  | { type: 'phy.autoneg'; t: number; phy: string; event: 'restart' | 'complete' | 'failed'; reason?: string }
  | { type: 'phy.reset'; t: number; phy: string; kind: 'soft' | 'hard' }
  | { type: 'phy.irq'; t: number; phy: string; asserted: boolean }
  | { type: 'phy.cable'; t: number; phy: string; plugged: boolean; partner: boolean };
