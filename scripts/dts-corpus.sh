#!/usr/bin/env bash
# Compiles every top-level arm, arm64 and riscv .dts of a Linux source tree with the reference pipeline
# (cpp | dtc of the chosen generation, one pair of processes per file) and with ours (one node process),
# and prints how many DTBs, -O dts texts and warning sets are identical, and the time ratio.
# See scripts/dts-corpus.ts for the flags (--compat 1.6|1.7|1.8, --dtb-only, --every K, ...).
#
# Usage: scripts/dts-corpus.sh <kernel-source-dir | linux-source-*.tar.xz | --kernel 7.2> [options]
# --kernel X.Y uses Debian's linux-source-X.Y: a full tree some other step already unpacked into the cache
# (linux-src/debian-X.Y*), else the device-tree subtrees extracted once from the package's tarball (fetched
# from Debian unstable through scripts/debian-suite.sh) into $MDIO_EMU_CACHE/kernel-dts-X.Y.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${MDIO_EMU_CACHE:-$HOME/.cache/mdio-emu}"
src="${1:?usage: scripts/dts-corpus.sh <kernel-source-dir | linux-source tarball | --kernel X.Y> [options]}"
shift

# The subtrees a DT build reads (include/uapi/linux/input-event-codes.h is the target of
# dt-bindings/input/linux-event-codes.h).
extract_dts() { # tarball destination
  local top
  top="$(tar -tJf "$1" | head -1 | cut -d/ -f1)"
  if [[ ! -d "$2/$top/arch/arm64/boot/dts" ]]; then
    mkdir -p "$2"
    tar -xJf "$1" -C "$2" \
      "$top/arch/arm/boot/dts" "$top/arch/arm64/boot/dts" "$top/arch/riscv/boot/dts" "$top/include/dt-bindings" \
      "$top/include/uapi/linux/input-event-codes.h" "$top/scripts/dtc"
  fi
  echo "$2/$top"
}

if [[ "$src" == --kernel ]]; then
  version="${1:?--kernel needs a version such as 7.2}"
  shift
  tree=""
  for d in "$cache"/linux-src/debian-"$version".*; do
    [[ -f "$d.done" && -d "$d/arch/arm64/boot/dts" ]] && tree="$d" && break
  done
  if [[ -z "$tree" ]]; then
    tarball="$(ls "$cache"/*/usr/src/linux-source-"$version".tar.xz 2>/dev/null | head -n1 || true)"
    if [[ -z "$tarball" ]]; then
      bash scripts/debian-suite.sh unpack sid "$cache/linux-source-$version-deb" "linux-source-$version" >/dev/null
      tarball="$cache/linux-source-$version-deb/usr/src/linux-source-$version.tar.xz"
    fi
    tree="$(extract_dts "$tarball" "$cache/kernel-dts-$version")"
  fi
  src="$tree"
elif [[ -f "$src" ]]; then
  src="$(extract_dts "$src" ".cache/kernel-src")"
fi
command -v cpp >/dev/null || { echo "dts-corpus: cpp is not installed" >&2; exit 2; }
exec npx tsx scripts/dts-corpus.ts "$src" "$@"
