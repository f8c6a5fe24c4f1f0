#!/usr/bin/env bash
# A Debian 11 (bullseye) root with python2.7, for running the GIMP 2.10 adapter's stub tests under a
# real Python 2.7: Debian 12 (the host) no longer has it, GIMP 2.10's Python-Fu is 2.7.
#
#   tests/py27_root.sh build   build the root when missing (cached), print its path
#   tests/py27_root.sh run     build if needed, copy the 2.7 side of the repo in, run tests/py27/run.py
#
# Cached in ~/.cache/imagen-gimp/py27-root (IMAGEN_GIMP_PY27_ROOT overrides). A flock on ROOT.lock:
# exclusive while building, shared while running, so parallel runs neither build twice nor collide
# (each run copies into its own folder under ROOT/tmp). Only the build mounts anything (/proc for
# apt-get), and a trap unmounts it.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/imagen-gimp"
ROOT="${IMAGEN_GIMP_PY27_ROOT:-$CACHE/py27-root}"
MIRROR="${IMAGEN_GIMP_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
LOG="$ROOT.log"
PY="/usr/bin/python2.7"
PATH_IN_ROOT="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

die() { echo "py27_root.sh: $*" >&2; exit 1; }
[ "$(uname -s)" = Linux ] || die "needs Linux"
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot)"
mkdir -p "$(dirname "$ROOT")"

unmount_proc() {
  local proc="$1/proc"
  if mountpoint -q "$proc" 2>/dev/null; then umount -l "$proc" || true; fi
}

build() {
  [ -x "$ROOT$PY" ] && return 0
  local building="$ROOT.build"
  echo "py27_root.sh: building $ROOT (debootstrap bullseye, once; log in $LOG)" >&2
  if ! command -v debootstrap >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >>"$LOG" 2>&1 ||
      { apt-get update -q >>"$LOG" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >>"$LOG" 2>&1; } ||
      die "could not install debootstrap (see $LOG)"
  fi
  unmount_proc "$building"
  rm -rf "$building"
  [ -e "$ROOT" ] && { unmount_proc "$ROOT"; rm -rf "$ROOT"; }  # a root without python2.7: start over
  debootstrap --variant=minbase bullseye "$building" "$MIRROR" >>"$LOG" 2>&1 ||
    { tail -20 "$LOG" >&2; die "debootstrap failed (see $LOG)"; }
  trap 'unmount_proc "$building"' EXIT
  mount -t proc proc "$building/proc"
  chroot "$building" /usr/bin/env -i PATH="$PATH_IN_ROOT" DEBIAN_FRONTEND=noninteractive \
    ${http_proxy:+http_proxy=$http_proxy} \
    /bin/sh -c 'apt-get install -y -q --no-install-recommends python2.7 && apt-get clean' >>"$LOG" 2>&1 ||
    { tail -20 "$LOG" >&2; die "apt-get install python2.7 failed (see $LOG)"; }
  unmount_proc "$building"
  trap - EXIT
  mv "$building" "$ROOT"
}

run_tests() {
  local work
  work="$(mktemp -d "$ROOT/tmp/imagen-gimp-py27-XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  # The 2.7 side only: the shared package, the entry, what install.sh writes it from, the stub, the 2.7 runner.
  (cd "$REPO" && tar -cf - --exclude=__pycache__ --exclude='*.pyc' \
      imagen_gimp_2.py install.sh install-gimp.sh pyproject.toml entries plugin tests/py27 tests/gimpfu_stub 2>/dev/null) |
    tar -xf - -C "$work"
  local inside="${work#"$ROOT"}"
  local status=0
  chroot "$ROOT" /usr/bin/env -i PATH="$PATH_IN_ROOT" HOME=/root LANG=C.UTF-8 \
    "$PY" -B "$inside/tests/py27/run.py" "$@" || status=$?
  rm -rf "$work"
  trap - EXIT
  return "$status"
}

command="${1:-run}"
[ $# -gt 0 ] && shift
exec 9>"$ROOT.lock"
flock -x 9
build
case "$command" in
  build) echo "$ROOT" ;;
  run)
    flock -s 9  # built: let other runs share the root while we test
    "$ROOT$PY" --version >/dev/null 2>&1 || true
    run_tests "$@"
    ;;
  *) die "unknown command $command (use build or run)" ;;
esac
