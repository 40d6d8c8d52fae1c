#!/usr/bin/env bash
# Compiles every top-level arm and arm64 .dts of a Linux source tree with the reference pipeline
# (cpp | dtc, one pair of processes per file) and with ours (one node process), and prints how many
# DTBs are byte-identical and the time ratio. See scripts/dts-corpus.ts for the flags.
#
# Usage: scripts/dts-corpus.sh <kernel-source-dir | linux-source-*.tar.xz> [--pp-only] [--limit N] [--every K]
# A tarball is extracted once (only the device-tree subtrees) into .cache/ in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:?usage: scripts/dts-corpus.sh <kernel-source-dir | linux-source tarball> [options]}"
shift
if [[ -f "$src" ]]; then
  top="$(tar -tJf "$src" | head -1 | cut -d/ -f1)"
  dest=".cache/kernel-src"
  if [[ ! -d "$dest/$top/arch/arm64/boot/dts" ]]; then
    mkdir -p "$dest"
    # include/uapi/linux/input-event-codes.h is the target of dt-bindings/input/linux-event-codes.h.
    tar -xJf "$src" -C "$dest" \
      "$top/arch/arm/boot/dts" "$top/arch/arm64/boot/dts" "$top/include/dt-bindings" \
      "$top/include/uapi/linux/input-event-codes.h" "$top/scripts/dtc/include-prefixes"
  fi
  src="$dest/$top"
fi
for tool in cpp dtc; do
  command -v "$tool" >/dev/null || { echo "dts-corpus: $tool is not installed" >&2; exit 2; }
done
exec npx tsx scripts/dts-corpus.ts "$src" "$@"
