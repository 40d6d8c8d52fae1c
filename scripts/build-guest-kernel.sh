#!/usr/bin/env bash
# Builds the arm64 Linux 6.1 guest kernel (Image) and modules that mdio-emu boots under
# qemu-system-aarch64, from Debian's linux-source-6.1 tarball. Cached: built once per
# machine per (config fragment, this script, variant). Prints the output directory last.
#
# Usage: scripts/build-guest-kernel.sh [--kasan] [--out DIR]
#   --kasan    also merge scripts/guest-kernel-kasan.config (use-after-free reports)
#   --out DIR  copy Image and modules/ to DIR as well
#   --check    build nothing: print the cached directory and exit 0 if it is built, else exit 3
# Environment: MDIO_EMU_CACHE (default ~/.cache/mdio-emu), KERNEL_SOURCE_TARBALL
#   (default /usr/src/linux-source-6.1.tar.xz), JOBS (default 2).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kasan=0
out=""
check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --kasan) kasan=1 ;;
    --check) check=1 ;;
    --out) out="${2:?--out needs a directory}"; shift ;;
    *) echo "build-guest-kernel: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

cache="${MDIO_EMU_CACHE:-$HOME/.cache/mdio-emu}"
tarball="${KERNEL_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}"
jobs="${JOBS:-2}"
fragments=("$here/guest-kernel.config")
[ "$kasan" = 1 ] && fragments+=("$here/guest-kernel-kasan.config")

# The cache key covers everything that changes the result: the fragments, this script
# and the tarball's identity (name and size; hashing 130 MB each run would cost seconds).
key="$( { cat "${fragments[@]}" "$0"; echo "variant=$kasan"; stat -c '%n %s' "$tarball"; } | sha256sum | cut -c1-16)"
suffix=""
[ "$kasan" = 1 ] && suffix="-kasan"
dest="$cache/kernel-6.1${suffix}-$key"

copy_out() {
  if [ -n "$out" ]; then
    mkdir -p "$out/modules"
    cp "$dest/Image" "$out/Image"
    cp "$dest"/modules/*.ko "$out/modules/"
  fi
}

if [ -f "$dest/.done" ]; then
  copy_out
  echo "$dest"
  exit 0
fi
if [ "$check" = 1 ]; then
  echo "$dest"
  exit 3
fi

[ -f "$tarball" ] || { echo "build-guest-kernel: kernel source $tarball not found (apt-get install linux-source-6.1)" >&2; exit 1; }
for tool in aarch64-linux-gnu-gcc make flex bison bc; do
  command -v "$tool" >/dev/null || { echo "build-guest-kernel: $tool is missing (run scripts/setup.sh)" >&2; exit 1; }
done

mkdir -p "$cache"
# One extracted source tree, shared by all variants; builds go out of tree (O=).
src="$cache/linux-source-6.1"
if [ ! -f "$src/.extracted" ]; then
  echo "build-guest-kernel: extracting $tarball" >&2
  rm -rf "$src" "$src.tmp"
  mkdir -p "$src.tmp"
  tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
  touch "$src.tmp/.extracted"
  mv "$src.tmp" "$src"
fi

build="$cache/build-6.1${suffix}-$key"
rm -rf "$build"
mkdir -p "$build"
mk=(make -C "$src" O="$build" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -s)
start=$(date +%s)
echo "build-guest-kernel: configuring (allnoconfig + ${fragments[*]##*/})" >&2
"${mk[@]}" allnoconfig
# -m: merge only; olddefconfig below resolves dependencies. -O: write .config into the build dir.
(cd "$src" && ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- scripts/kconfig/merge_config.sh -m -O "$build" "$build/.config" "${fragments[@]}" >/dev/null)
"${mk[@]}" olddefconfig

# Every option the fragments ask for must have survived olddefconfig; a silently dropped
# option (unmet dependency) would give a kernel that boots but cannot run the scenarios.
missing=0
while IFS= read -r line; do
  case "$line" in CONFIG_*=*) ;; *) continue ;; esac
  grep -qx "$line" "$build/.config" || { echo "build-guest-kernel: $line did not survive olddefconfig" >&2; missing=1; }
done < <(cat "${fragments[@]}")
[ "$missing" = 0 ] || exit 1

echo "build-guest-kernel: building Image and modules with -j$jobs (several minutes)" >&2
nice "${mk[@]}" -j"$jobs" Image modules

tmp="$dest.tmp"
rm -rf "$tmp"
mkdir -p "$tmp/modules"
cp "$build/arch/arm64/boot/Image" "$tmp/Image"
cp "$build/.config" "$tmp/config"
"${mk[@]}" kernelrelease > "$tmp/kernelrelease"
# Modules go flat into modules/: the guest insmods them by file name, in dependency
# order (regmap-i2c.ko before at24.ko), so no depmod tree is needed.
find "$build" -name '*.ko' -exec cp {} "$tmp/modules/" \;
echo "$(( $(date +%s) - start ))" > "$tmp/build-seconds"
touch "$tmp/.done"
rm -rf "$dest"
mv "$tmp" "$dest"
rm -rf "$build"
echo "build-guest-kernel: done in $(cat "$dest/build-seconds") s: $(ls "$dest/modules" | tr '\n' ' ')" >&2
copy_out
echo "$dest"
