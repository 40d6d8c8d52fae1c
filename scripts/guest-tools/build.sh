#!/usr/bin/env bash
# Builds the guest tools overlay for the QEMU initramfs and prints the path of its gzip'd cpio archive.
# Which ethtool a guest gets follows its kernel (src/qemu/guest-tools.ts guestToolsFor):
#   --suite bookworm (default; Linux 6.1 guests): Debian 12's arm64 ethtool 6.1, which lacks
#       --show-pse/--set-pse, so:
#       /bin/ethtool       ethtool-wrapper.sh (--show-pse/--set-pse -> pse-tool, the rest -> Debian's ethtool)
#       /usr/sbin/ethtool  Debian's ethtool; /lib its loader and libraries
#       /usr/sbin/pse-tool pse-tool.c, cross-compiled static with aarch64-linux-gnu-gcc
#   --suite trixie|sid (6.12 and 7.x guests): that suite's ethtool (6.14, 7.2), whose PSE commands are
#       native: /usr/sbin/ethtool with /bin/ethtool a link to it, /lib its loader and libraries; and
#       coreutils' stdbuf (/usr/sbin/stdbuf, /usr/libexec/coreutils/libstdbuf.so): `ethtool --monitor`
#       never flushes stdout, so with its output in a file what it printed is lost when it is killed;
#       `stdbuf -oL ethtool --monitor` writes each event line as it comes.
# The kernel unpacks concatenated cpio archives in order (Documentation/driver-api/early-userspace/
# buffer-format.rst), so this archive is appended to the busybox one and needs no rebuild per scenario.
# Beside the archive, ARCHIVE.ethtool-version holds the Debian version of the ethtool inside.
# Cached under MDIO_EMU_CACHE (default ~/.cache/mdio-emu) by a hash of this folder's sources and the suite.
# Usage: scripts/guest-tools/build.sh [--suite SUITE] [--check]   (--check: print the path, exit 3 when not built)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${MDIO_EMU_CACHE:-$HOME/.cache/mdio-emu}"
suite=bookworm
check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1 ;;
    --suite) suite="${2:?--suite needs a Debian suite name}"; shift ;;
    *) echo "guest-tools: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
case "$suite" in bookworm | trixie | sid) ;; *) echo "guest-tools: unsupported suite $suite" >&2; exit 2 ;; esac
hash="$( { cat "$here/build.sh" "$here/pse-tool.c" "$here/ethtool-wrapper.sh" "$here/../guest-ethtool.sh"; echo "$suite"; } | sha256sum | cut -c1-16)"
out="$cache/guest-tools-$suite-$hash.cpio.gz"
if [ -s "$out" ] && [ -s "$out.ethtool-version" ]; then echo "$out"; exit 0; fi
[ "$check" = 1 ] && { echo "$out"; exit 3; }

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/usr/sbin" "$root/lib"
if [ "$suite" = bookworm ]; then
  cc="${CROSS_COMPILE:-aarch64-linux-gnu-}gcc"
  command -v "$cc" >/dev/null || { echo "guest-tools: $cc is missing (Debian: gcc-aarch64-linux-gnu)" >&2; exit 1; }
  ethtool_dir="$(bash "$here/../guest-ethtool.sh" | tail -n1)"
  "$cc" -static -Os -Wall -Wextra -Werror -o "$root/usr/sbin/pse-tool" "$here/pse-tool.c"
  "${CROSS_COMPILE:-aarch64-linux-gnu-}strip" "$root/usr/sbin/pse-tool" 2>/dev/null || true
  cp "$here/ethtool-wrapper.sh" "$root/bin/ethtool"
  chmod 755 "$root/bin/ethtool" "$root/usr/sbin/pse-tool"
else
  ethtool_dir="$(bash "$here/../guest-ethtool.sh" --suite "$suite" | tail -n1)"
  ln -s ../usr/sbin/ethtool "$root/bin/ethtool"
  coreutils="$(bash "$here/../debian-suite.sh" unpack "$suite" "$cache/coreutils-arm64-$suite" coreutils:arm64 | tail -n1)"
  mkdir -p "$root/usr/libexec/coreutils"
  cp "$coreutils/usr/bin/stdbuf" "$root/usr/sbin/stdbuf"
  cp "$coreutils/usr/libexec/coreutils/libstdbuf.so" "$root/usr/libexec/coreutils/"
  chmod 755 "$root/usr/sbin/stdbuf"
fi
cp "$ethtool_dir/bin/ethtool" "$root/usr/sbin/ethtool"
cp "$ethtool_dir"/lib/* "$root/lib/"
chmod 755 "$root/usr/sbin/ethtool"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet --owner 0:0 | gzip -6 > "$out.tmp")
cp "$ethtool_dir/version" "$out.ethtool-version"
mv "$out.tmp" "$out"
echo "$out"
