/**
 * The dtc generations the compiler reproduces, and what changed between them. Each difference is a named
 * feature here, so the lexer, parser, checks, fixups and printer ask "does this generation do X" instead of
 * comparing version numbers. The references are Debian's device-tree-compiler 1.6.1 (Debian 12), 1.7.2
 * (Debian 13) and 1.8.1 (unstable); Linux 7.2's scripts/dtc (which calls itself 1.7.2) is dtc commit
 * 53373d1, past v1.8.0's changes to checks, fixups and DTB-to-DTS output, so it behaves as 1.8.
 */

export type DtcCompat = '1.6' | '1.7' | '1.8';

export const DTC_COMPATS: readonly DtcCompat[] = ['1.6', '1.7', '1.8'];

/** The newest generation: the default everywhere a generation can be chosen. */
export const DEFAULT_COMPAT: DtcCompat = '1.8';

/** The release each generation is checked against. */
export const DTC_RELEASE: Readonly<Record<DtcCompat, string>> = { '1.6': '1.6.1', '1.7': '1.7.2', '1.8': '1.8.1' };

/** `1.7`, `1.7.2` or `v1.7.2` name the 1.7 generation; anything else is undefined. */
export function parseCompat(text: string): DtcCompat | undefined {
  const m = /^v?(1\.[678])(?:\.\d+)?$/.exec(text.trim());
  return m ? (m[1] as DtcCompat) : undefined;
}

export interface DtcFeatures {
  readonly compat: DtcCompat;
  /** dtc 1.7 (ec7986e): `&{label/sub/node}` references, and `&{...}` without a leading slash. */
  readonly labelRelativeRefs: boolean;
  /** dtc 1.7 (2cd89f8): an out-of-range `/bits/` element is a warning that prints the truncation, not an error. */
  readonly truncationWarns: boolean;
  /** dtc 1.8 (52f07dc): a bare identifier where a value belongs is a lexical error "Unexpected 'x'". */
  readonly strayIdentifierError: boolean;
  /** dtc 1.7 (e37c256): an unresolved `&{/path}` in a plugin cannot become a fixup, and dtc stops. */
  readonly pathFixupFatal: boolean;
  /**
   * dtc 1.8 (e1284ee): fixup nodes already in the tree are extended with entries they lack; older releases
   * append every entry again.
   */
  readonly uniqueFixups: boolean;
  /** dtc 1.8 (4ea851f): livetree.c get_subnode skips deleted nodes. */
  readonly subnodeSkipsDeleted: boolean;
  /**
   * dtc 1.8 (db65a3a, 05c524d, a26ef64, cbb4869): labels come back from __symbols__, references from
   * __fixups__ and __local_fixups__, and a tree with fixup nodes is a plugin, for every input format.
   */
  readonly restoreFromGenerated: boolean;
  /** DTS output: 1.6 prints phandle cells as numbers, 1.7 as `&label`/`&{/path}` (37fd700). */
  readonly printReferences: boolean;
  /**
   * DTS output's guess for values without type markers: 1.6 guesses one type for the whole value, 1.7 also
   * splits a guessed string list (95c74d7), 1.8 guesses between references, chunk by chunk (64330c6).
   */
  readonly guess: 'whole' | 'whole-stringlist' | 'chunks';
  /** dtc 1.8 (ef3b1ba): DTS output starts with `/plugin/;` for a plugin. */
  readonly printPluginHeader: boolean;
  /**
   * A string byte >= 0x80 prints as `\xffffff80`: treesource.c passes a signed char to "%02" PRIx8, which
   * the C library of Debian 12 and 13 defines as "x". Debian unstable's 1.8.1 is built against a C library
   * whose PRIx8 is "hhx", so the same source prints `\x80` there.
   */
  readonly signExtendedByteEscapes: boolean;
}

const FEATURES: Readonly<Record<DtcCompat, DtcFeatures>> = {
  '1.6': {
    compat: '1.6',
    signExtendedByteEscapes: true,
    labelRelativeRefs: false,
    truncationWarns: false,
    strayIdentifierError: false,
    pathFixupFatal: false,
    uniqueFixups: false,
    subnodeSkipsDeleted: false,
    restoreFromGenerated: false,
    printReferences: false,
    guess: 'whole',
    printPluginHeader: false,
  },
  '1.7': {
    compat: '1.7',
    signExtendedByteEscapes: true,
    labelRelativeRefs: true,
    truncationWarns: true,
    strayIdentifierError: false,
    pathFixupFatal: true,
    uniqueFixups: false,
    subnodeSkipsDeleted: false,
    restoreFromGenerated: false,
    printReferences: true,
    guess: 'whole-stringlist',
    printPluginHeader: false,
  },
  '1.8': {
    compat: '1.8',
    signExtendedByteEscapes: false,
    labelRelativeRefs: true,
    truncationWarns: true,
    strayIdentifierError: true,
    pathFixupFatal: true,
    uniqueFixups: true,
    subnodeSkipsDeleted: true,
    restoreFromGenerated: true,
    printReferences: true,
    guess: 'chunks',
    printPluginHeader: true,
  },
};

export const features = (compat: DtcCompat = DEFAULT_COMPAT): DtcFeatures => FEATURES[compat];
