import type { Command } from 'commander';

/** `mdio-emu scenario generate`: filled in with src/scenario/generate.ts. */
export function registerGenerate(_scenario: Command): void {}
