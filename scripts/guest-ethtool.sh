#!/usr/bin/env bash
# Fetches Debian's arm64 ethtool and the shared libraries it needs, for the QEMU guest's initramfs.
# Prints a directory holding bin/ethtool and lib/ (the dynamic loader and libraries, flat: with no
# ld.so.cache in the initramfs the loader searches /lib). Copy both into the initramfs root.
# Cached under MDIO_EMU_CACHE (default ~/.cache/mdio-emu); needs dpkg with the arm64 architecture
# (added here when run as root) and apt-get download.
# Note: Debian 12 ships ethtool 6.1, which decodes PSE netlink messages but has no --show-pse/--set-pse
# (added in ethtool 6.2).
# Usage: scripts/guest-ethtool.sh [--check]
set -euo pipefail
check=0
[ "${1:-}" = --check ] && check=1
cache="${MDIO_EMU_CACHE:-$HOME/.cache/mdio-emu}"
packages=(ethtool:arm64 libmnl0:arm64 libc6:arm64)
dest="$cache/ethtool-arm64"
if [ -x "$dest/bin/ethtool" ]; then echo "$dest"; exit 0; fi
[ "$check" = 1 ] && { echo "$dest"; exit 3; }

for tool in dpkg dpkg-deb apt-get; do
  command -v "$tool" >/dev/null || { echo "guest-ethtool: $tool is missing (Debian or Ubuntu host needed)" >&2; exit 1; }
done
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  [ "$(id -u)" = 0 ] || { echo "guest-ethtool: run 'dpkg --add-architecture arm64 && apt-get update' as root first" >&2; exit 1; }
  dpkg --add-architecture arm64
  apt-get update -qq
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# apt runs downloads as _apt, which cannot write a root-only mktemp directory.
chmod 755 "$tmp"
(cd "$tmp" && apt-get download -qq "${packages[@]}")
mkdir -p "$tmp/root"
for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done

out="$dest.tmp"
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"
found="$(find "$tmp/root" -path "*bin/ethtool" -type f | head -n1)"
[ -n "$found" ] || { echo "guest-ethtool: no ethtool binary in the package" >&2; exit 1; }
cp "$found" "$out/bin/ethtool"
libdir="$tmp/root/lib/aarch64-linux-gnu"
[ -d "$libdir" ] || libdir="$tmp/root/usr/lib/aarch64-linux-gnu"
# The ELF interpreter path baked into arm64 binaries is /lib/ld-linux-aarch64.so.1.
cp -L "$libdir/ld-linux-aarch64.so.1" "$out/lib/"
for lib in libc.so.6 libm.so.6 libmnl.so.0; do
  found="$(find "$tmp/root" -name "$lib" | head -n1)"
  [ -n "$found" ] || { echo "guest-ethtool: $lib not found in the downloaded packages" >&2; exit 1; }
  cp -L "$found" "$out/lib/"
done
"$(command -v aarch64-linux-gnu-readelf || echo true)" -d "$out/bin/ethtool" 2>/dev/null | grep NEEDED >&2 || true
rm -rf "$dest"
mv "$out" "$dest"
echo "$dest"
