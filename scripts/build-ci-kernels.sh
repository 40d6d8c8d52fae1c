#!/usr/bin/env bash
# Builds exactly the guest kernels CI runs (issue 13): Linux 6.1 plain and KASAN, and the newest Debian kernel
# plain, with our PSE kfifo patch (the A/B), and with KASAN (the tps23881 unbind, test/qemu/e2e-kasan.test.ts). Each is cached by content, so a warm CI builds nothing; the
# patched build reuses the plain build's tree and compiles only what the patch touches.
# 6.12 and the lockdep variant are not here: docs/guest-kernel.md gives their command.
# Usage: scripts/build-ci-kernels.sh    (prints the five cache directories)
set -euo pipefail
cd "$(dirname "$0")/.."
kernel() { node bin/mdio-emu.js qemu kernel "$@"; }
kernel --version 6.1
kernel --version 6.1 --variant kasan
kernel --version newest
kernel --version newest --patch patches/linux/pse-kfifo-min-size.patch
kernel --version newest --variant kasan
