#!/usr/bin/env bash
# Fetches binary packages from a newer Debian suite (trixie, sid, ...) of the same mirror this machine's
# own apt sources name, without touching the system's apt configuration: a private sources list, lists
# directory and cache under MDIO_EMU_CACHE (default ~/.cache/mdio-emu). Source packages are not served,
# so everything comes as binary .deb files, unpacked with dpkg-deb -x (nothing is installed).
#
# Usage:
#   scripts/debian-suite.sh update SUITE                   refresh the suite's package lists (once a day)
#   scripts/debian-suite.sh version SUITE PKG[:ARCH]       print the candidate version
#   scripts/debian-suite.sh depends SUITE PKG              print the packages PKG depends on (one per line)
#   scripts/debian-suite.sh unpack SUITE DIR PKG[:ARCH]... download each package and unpack it into DIR;
#                                                           prints DIR. Cached: a DIR/.done stamp lists what is in it.
#   scripts/debian-suite.sh download SUITE DIR PKG[:ARCH]... download the .deb files into DIR (not unpacked)
set -euo pipefail
cache="${MDIO_EMU_CACHE:-$HOME/.cache/mdio-emu}"
cmd="${1:?usage: debian-suite.sh update|version|depends|unpack|download SUITE ...}"
suite="${2:?a Debian suite name is needed (trixie, sid, ...)}"
shift 2
case "$suite" in *[!a-z0-9-]*) echo "debian-suite: bad suite name: $suite" >&2; exit 2 ;; esac

state="$cache/apt-$suite"
mkdir -p "$state/lists/partial" "$state/cache/archives/partial"

# The mirror: the first URIs:/deb line of the machine's own sources that is not the security archive.
mirror_uri() {
  local uri=""
  if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
    uri="$(grep -h -E '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources | grep -v -- '-security' |
      head -n1 | awk '{print $2}')"
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri="$(grep -E '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list | grep -v -- '-security' |
      head -n1 | sed -E 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/')"
  fi
  [ -n "$uri" ] || { echo "debian-suite: no Debian mirror found in this machine's apt sources" >&2; exit 1; }
  echo "$uri"
}

sources="$state/sources.list"
if [ ! -s "$sources" ]; then
  uri="$(mirror_uri)"
  echo "deb [arch=amd64,arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" >"$sources.tmp"
  mv "$sources.tmp" "$sources"
fi
# apt runs downloads as _apt, which must be able to write the cache and the target directory.
chmod 755 "$cache" "$state" 2>/dev/null || true
chmod -R a+rwX "$state/cache" "$state/lists" 2>/dev/null || true

apt_opts=(
  -o "Dir::Etc::sourcelist=$sources"
  -o "Dir::Etc::sourceparts=/nonexistent"
  -o "Dir::State::Lists=$state/lists"
  -o "Dir::Cache=$state/cache"
  -o "Dir::State::status=/dev/null"
  -o "APT::Architectures::=amd64"
  -o "APT::Architectures::=arm64"
  -o "Acquire::Languages=none"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
)

update() {
  # One refresh a day: unstable moves on, so "newest" is resolved at setup time and cached by version.
  local stamp="$state/lists/.updated"
  if [ -f "$stamp" ] && [ -z "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then return 0; fi
  apt-get "${apt_opts[@]}" -qq update >&2
  touch "$stamp"
}

case "$cmd" in
  update)
    update
    ;;
  version)
    update
    apt-cache "${apt_opts[@]}" policy "${1:?package}" | awk '/Candidate:/ {print $2}'
    ;;
  depends)
    update
    apt-cache "${apt_opts[@]}" depends "${1:?package}" | awk '/Depends:/ {print $2}' | tr -d '<>'
    ;;
  download | unpack)
    dir="${1:?target directory}"
    shift
    [ $# -gt 0 ] || { echo "debian-suite: no packages named" >&2; exit 2; }
    want="$(printf '%s\n' "$@" | LC_ALL=C sort | tr '\n' ' ')"
    if [ "$cmd" = unpack ] && [ -f "$dir/.done" ] && [ "$(cat "$dir/.done")" = "$want" ]; then
      echo "$dir"
      exit 0
    fi
    update
    debs="$state/debs"
    mkdir -p "$debs"
    chmod 777 "$debs"
    (cd "$debs" && apt-get "${apt_opts[@]}" -qq download "$@" >&2)
    mkdir -p "$dir"
    for p in "$@"; do
      name="${p%%:*}"
      arch="${p#*:}"
      [ "$arch" = "$p" ] && arch=amd64
      # apt-get download names files NAME_VERSION_ARCH.deb (":" in an epoch becomes %3a); take the newest.
      deb="$(ls -t "$debs/${name}_"*"_${arch}.deb" "$debs/${name}_"*"_all.deb" 2>/dev/null | head -n1 || true)"
      [ -n "$deb" ] || { echo "debian-suite: $p was not downloaded" >&2; exit 1; }
      if [ "$cmd" = unpack ]; then dpkg-deb -x "$deb" "$dir"; else cp "$deb" "$dir/"; fi
    done
    [ "$cmd" = unpack ] && echo "$want" >"$dir/.done"
    echo "$dir"
    ;;
  *)
    echo "debian-suite: unknown command $cmd" >&2
    exit 2
    ;;
esac
