#!/usr/bin/env bash
# Installs the Debian packages and npm packages mdio-emu's tests use, and builds the Linux 6.1 guest the demo
# and the QEMU tests boot. Idempotent (kernels and guest tools are cached by content).
# Usage: scripts/setup.sh [--ci]
#   --ci  also what only the tests need: the reference dtc of each generation, Linux 7.2's source for the
#         kbuild test, and the rest of CI's kernel set (scripts/build-ci-kernels.sh: 6.1 KASAN, the newest
#         Debian kernel plain and with patches/linux/pse-kfifo-min-size.patch), and LAVA's lava-common and
#         lava-dispatcher for test/lava
set -euo pipefail
cd "$(dirname "$0")/.."
ci=0
[ "${1:-}" = --ci ] && ci=1
# Installs the named Debian packages (none: nothing to do), through sudo when not root.
apt_install() {
  [ $# -gt 0 ] || return 0
  local sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@"
}
need=()
command -v dtc >/dev/null || need+=(device-tree-compiler)
# test/qemu decodes the booted blob with fdtget (same package) to check what the guest read.
command -v fdtget >/dev/null || need+=(device-tree-compiler)
command -v cpp >/dev/null || need+=(cpp)
# test/scenario/report-html renders report.html in Debian's headless chromium (playwright-core drives it).
command -v chromium >/dev/null || need+=(chromium)
# QEMU end-to-end tests (test/qemu): stock QEMU, the arm64 cross compiler and the kernel source the guest is built from.
command -v qemu-system-aarch64 >/dev/null || need+=(qemu-system-arm)
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
# patch applies --patch series to private copies of kernel trees; flock (util-linux) serialises kernel builds.
for p in gcc make xz-utils flex bison bc cpio libelf-dev libssl-dev linux-source-6.1 kmod patch util-linux; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
apt_install "${need[@]}"
npm ci --no-audit --no-fund
# The QEMU guest: a static arm64 busybox and the Linux 6.1 kernel and modules, each built once per machine (cached).
bash scripts/build-initramfs.sh --fetch-only >/dev/null
# The 6.1 guest kernel with its guest tools (Debian 12's arm64 ethtool and the static pse-tool for
# --show-pse/--set-pse, scripts/guest-tools), each cached.
node bin/mdio-emu.js qemu kernel --version 6.1 >/dev/null
[ "$ci" = 1 ] || exit 0
# The reference dtc of each generation `--compat` reproduces (1.6.1 is Debian 12's own; 1.7.2 and 1.8.1 come
# unpacked from Debian 13 and unstable, cached): the conformance tests compare against all three. A mirror
# without those suites leaves the tests that need them skipped, and says so.
npx tsx scripts/dtc-reference.ts fetch || echo "setup: a reference dtc is missing; its conformance tests will be skipped" >&2
# The kbuild test (test/dts/kbuild.test.ts): Debian unstable's linux-source-7.2, unpacked once into the cache
# (shared with guest-kernel builds of 7.2).
npx tsx scripts/kbuild-dtbs.ts --fetch-only >/dev/null
bash scripts/build-ci-kernels.sh >/dev/null
# The LAVA tests (test/lava): lava-common's job schema validator and lava-dispatcher's lava-run, which runs a
# job end to end here as a LAVA worker would (docs/scale-out.md).
lava=()
for p in lava-common lava-dispatcher; do
  dpkg -s "$p" >/dev/null 2>&1 || lava+=("$p")
done
apt_install "${lava[@]}"
