#!/usr/bin/env bash
# Builds the guest tools overlay for the QEMU initramfs and prints the path of its gzip'd cpio archive:
#   /bin/ethtool           ethtool-wrapper.sh (--show-pse/--set-pse -> pse-tool, the rest -> Debian's ethtool)
#   /usr/sbin/ethtool      Debian 12's arm64 ethtool 6.1 (scripts/guest-ethtool.sh), /lib its loader and libraries
#   /usr/sbin/pse-tool     pse-tool.c, cross-compiled static with aarch64-linux-gnu-gcc
# The kernel unpacks concatenated cpio archives in order (Documentation/driver-api/early-userspace/
# buffer-format.rst), so this archive is appended to the busybox one and needs no rebuild per scenario.
# Cached under MDIO_EMU_CACHE (default ~/.cache/mdio-emu) by a hash of this folder's sources.
# Usage: scripts/guest-tools/build.sh [--check]   (--check: print the path, exit 3 when not built)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${MDIO_EMU_CACHE:-$HOME/.cache/mdio-emu}"
hash="$(cat "$here/build.sh" "$here/pse-tool.c" "$here/ethtool-wrapper.sh" "$here/../guest-ethtool.sh" | sha256sum | cut -c1-16)"
out="$cache/guest-tools-$hash.cpio.gz"
if [ -s "$out" ]; then echo "$out"; exit 0; fi
[ "${1:-}" = --check ] && { echo "$out"; exit 3; }

cc="${CROSS_COMPILE:-aarch64-linux-gnu-}gcc"
command -v "$cc" >/dev/null || { echo "guest-tools: $cc is missing (Debian: gcc-aarch64-linux-gnu)" >&2; exit 1; }
ethtool_dir="$(bash "$here/../guest-ethtool.sh" | tail -n1)"

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/usr/sbin" "$root/lib"
"$cc" -static -Os -Wall -Wextra -Werror -o "$root/usr/sbin/pse-tool" "$here/pse-tool.c"
"${CROSS_COMPILE:-aarch64-linux-gnu-}strip" "$root/usr/sbin/pse-tool" 2>/dev/null || true
cp "$ethtool_dir/bin/ethtool" "$root/usr/sbin/ethtool"
cp "$ethtool_dir"/lib/* "$root/lib/"
cp "$here/ethtool-wrapper.sh" "$root/bin/ethtool"
chmod 755 "$root/bin/ethtool" "$root/usr/sbin/ethtool" "$root/usr/sbin/pse-tool"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet --owner 0:0 | gzip -6 > "$out.tmp")
mv "$out.tmp" "$out"
echo "$out"
