#!/usr/bin/env bash
# Builds a guest kernel through `mdio-emu qemu kernel` (src/qemu/kernel.ts; docs/guest-kernel.md) and prints
# its cache directory. Without arguments: Linux 6.1 from Debian's linux-source-6.1, as this script always did.
#
# Usage: scripts/build-guest-kernel.sh [--kasan] [--out DIR] [--check] [--version X.Y] [--variant V] ...
#   --kasan    the KASAN variant (scripts/guest-kernel-kasan.config)
#   --out DIR  copy Image, modules/ and config to DIR as well
#   --check    build nothing: print the cached directory and exit 0 if it is built, else exit 3
# Every other `mdio-emu qemu kernel` option passes through (--version, --src, --patch, --variant, --jobs).
# Environment: MDIO_EMU_CACHE (default ~/.cache/mdio-emu), JOBS (make -j, default: the number of cores).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec node "$here/../bin/mdio-emu.js" qemu kernel "$@"
