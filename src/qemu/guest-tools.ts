import { compareVersions } from './kernel-spec.js';

/**
 * The guest userspace a kernel gets (scripts/guest-tools/build.sh): Debian's arm64 ethtool from the suite
 * that ships alongside that kernel, so the guest's tools are of its own era.
 */
export interface GuestToolsChoice {
  /** Debian suite of the guest's ethtool: bookworm 6.1, trixie 6.14, sid 7.2 (as of this writing). */
  suite: 'bookworm' | 'trixie' | 'sid';
  /**
   * Whether `ethtool --show-pse/--set-pse` go to the static pse-tool: only where the suite's ethtool predates
   * those commands (they came in ethtool 6.2; bookworm has 6.1).
   */
  pseTool: boolean;
}

export function guestToolsFor(kernelVersion: string): GuestToolsChoice {
  if (compareVersions(kernelVersion, '6.12') < 0) return { suite: 'bookworm', pseTool: true };
  if (compareVersions(kernelVersion, '7.0') < 0) return { suite: 'trixie', pseTool: false };
  return { suite: 'sid', pseTool: false };
}
