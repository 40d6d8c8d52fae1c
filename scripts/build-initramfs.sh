#!/usr/bin/env bash
# Packs the guest initramfs: a static arm64 busybox (Debian's busybox-static:arm64, fetched once
# per machine into the cache), a generated /init, the kernel modules the scenario loads and the firmware
# files its drivers request (a directory laid out as /lib/firmware, which the kernel's loader reads directly).
#
# Usage: scripts/build-initramfs.sh --fetch-only
#        scripts/build-initramfs.sh --init FILE --out FILE.cpio.gz [--module FILE.ko]... [--firmware DIR]
# Prints the busybox path (--fetch-only) or the archive path.
# Environment: MDIO_EMU_CACHE (default ~/.cache/mdio-emu).
set -euo pipefail
cache="${MDIO_EMU_CACHE:-$HOME/.cache/mdio-emu}"
init=""
out=""
fetch_only=0
modules=()
firmware=""
while [ $# -gt 0 ]; do
  case "$1" in
    --fetch-only) fetch_only=1 ;;
    --init) init="${2:?--init needs a file}"; shift ;;
    --out) out="${2:?--out needs a file}"; shift ;;
    --module) modules+=("${2:?--module needs a file}"); shift ;;
    --firmware) firmware="${2:?--firmware needs a directory}"; shift ;;
    *) echo "build-initramfs: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

busybox_dir="$cache/busybox-arm64"
busybox="$busybox_dir/busybox"
if [ ! -x "$busybox" ]; then
  # The arm64 package comes from Debian's archive for the foreign architecture; adding the
  # architecture needs root, as CI and the developers' machines run (see scripts/setup.sh).
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
    apt-get update -qq
  fi
  work="$(mktemp -d)"
  chmod 755 "$work" # apt-get download drops privileges to _apt for the fetch
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get download -qq busybox-static:arm64) || {
    apt-get update -qq
    (cd "$work" && apt-get download -qq busybox-static:arm64)
  }
  dpkg-deb -x "$work"/busybox-static_*_arm64.deb "$work/root"
  mkdir -p "$busybox_dir"
  cp "$work/root/bin/busybox" "$busybox.tmp"
  mv "$busybox.tmp" "$busybox"
fi
if [ "$fetch_only" = 1 ]; then
  echo "$busybox"
  exit 0
fi
[ -n "$init" ] && [ -n "$out" ] || { echo "build-initramfs: --init and --out are required" >&2; exit 2; }

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,lib/modules}
cp "$busybox" "$root/bin/busybox"
# Applets are reached through `busybox --install -s` at the top of /init; only sh is needed here.
ln -s busybox "$root/bin/sh"
cp "$init" "$root/init"
chmod 755 "$root/init"
for m in ${modules[@]+"${modules[@]}"}; do cp "$m" "$root/lib/modules/"; done
if [ -n "$firmware" ]; then mkdir -p "$root/lib/firmware" && cp -R "$firmware"/. "$root/lib/firmware/"; fi
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --owner 0:0 | gzip -6 > "$out.tmp")
mv "$out.tmp" "$out"
echo "$out"
