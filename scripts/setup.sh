#!/usr/bin/env bash
# Installs the Debian packages and npm packages mdio-emu's tests use. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v dtc >/dev/null || need+=(device-tree-compiler)
command -v cpp >/dev/null || need+=(cpp)
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}"
fi
npm ci --no-audit --no-fund
