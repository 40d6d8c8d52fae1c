#!/usr/bin/env bash
# Fetches Debian's arm64 ethtool and the shared libraries it needs, for the QEMU guest's initramfs.
# Prints a directory holding bin/ethtool and lib/ (the dynamic loader and libraries, flat: with no
# ld.so.cache in the initramfs the loader searches /lib). Copy both into the initramfs root.
# Cached under MDIO_EMU_CACHE (default ~/.cache/mdio-emu); needs dpkg with the arm64 architecture
# (added here when run as root) and apt-get download.
# Note: Debian 12 ships ethtool 6.1, which decodes PSE netlink messages but has no --show-pse/--set-pse
# (added in ethtool 6.2); trixie's and sid's have them (src/qemu/guest-tools.ts picks the suite per kernel).
# Usage: scripts/guest-ethtool.sh [--suite SUITE] [--check]
#   --suite SUITE  take ethtool and its libraries from that Debian suite (trixie, sid) through
#                  scripts/debian-suite.sh; without it, from this machine's own apt sources (Debian 12).
# The directory also holds `version`: the Debian version of the ethtool package.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
check=0
suite=""
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1 ;;
    --suite) suite="${2:?--suite needs a Debian suite name}"; shift ;;
    *) echo "guest-ethtool: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
cache="${MDIO_EMU_CACHE:-$HOME/.cache/mdio-emu}"
packages=(ethtool:arm64 libmnl0:arm64 libc6:arm64)
dest="$cache/ethtool-arm64${suite:+-$suite}"
if [ -x "$dest/bin/ethtool" ] && [ -f "$dest/version" ]; then echo "$dest"; exit 0; fi
[ "$check" = 1 ] && { echo "$dest"; exit 3; }
readelf="$(command -v aarch64-linux-gnu-readelf || true)"
[ -n "$readelf" ] || { echo "guest-ethtool: aarch64-linux-gnu-readelf is missing (Debian: binutils-aarch64-linux-gnu)" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
if [ -n "$suite" ]; then
  bash "$here/debian-suite.sh" unpack "$suite" "$tmp/root" "${packages[@]}" >/dev/null
  version="$(bash "$here/debian-suite.sh" version "$suite" ethtool:arm64)"
else
  for tool in dpkg dpkg-deb apt-get; do
    command -v "$tool" >/dev/null || { echo "guest-ethtool: $tool is missing (Debian or Ubuntu host needed)" >&2; exit 1; }
  done
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    [ "$(id -u)" = 0 ] || { echo "guest-ethtool: run 'dpkg --add-architecture arm64 && apt-get update' as root first" >&2; exit 1; }
    dpkg --add-architecture arm64
    apt-get update -qq
  fi
  # apt runs downloads as _apt, which cannot write a root-only mktemp directory (chmod above).
  (cd "$tmp" && apt-get download -qq "${packages[@]}")
  mkdir -p "$tmp/root"
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
  version="$(dpkg-deb -f "$(ls "$tmp"/ethtool_*_arm64.deb | head -n1)" Version)"
fi

out="$dest.tmp"
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"
found="$(find "$tmp/root" -path "*bin/ethtool" -type f | head -n1)"
[ -n "$found" ] || { echo "guest-ethtool: no ethtool binary in the package" >&2; exit 1; }
cp "$found" "$out/bin/ethtool"
echo "$version" >"$out/version"
# The ELF interpreter path baked into arm64 binaries is /lib/ld-linux-aarch64.so.1; the libraries are the
# binary's NEEDED entries and theirs, found in the unpacked packages.
interp="$(find "$tmp/root" -name ld-linux-aarch64.so.1 | head -n1)"
[ -n "$interp" ] || { echo "guest-ethtool: no arm64 dynamic loader in libc6" >&2; exit 1; }
cp -L "$interp" "$out/lib/"
queue=("$out/bin/ethtool")
while [ ${#queue[@]} -gt 0 ]; do
  elf="${queue[0]}"
  queue=("${queue[@]:1}")
  for lib in $("$readelf" -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -e "$out/lib/$lib" ] && continue
    found="$(find "$tmp/root" -name "$lib" \( -type f -o -type l \) | head -n1)"
    [ -n "$found" ] || { echo "guest-ethtool: $lib (NEEDED by ${elf##*/}) not in the downloaded packages" >&2; exit 1; }
    cp -L "$found" "$out/lib/"
    queue+=("$out/lib/$lib")
  done
done
rm -rf "$dest"
mv "$out" "$dest"
echo "$dest"
