#!/usr/bin/env bash
# Install imagen-gimp: a Python venv with its dependencies, and links into GIMP's plug-in folders.
# Safe to run again: it only adds what is missing and refreshes the links.
#
#   ./install.sh          for users
#   ./install.sh --dev    also installs the test tools (pytest, ruff)
#   ./install.sh --no-gimp   venv only, do not touch GIMP's folders
#   ./install.sh --no-warm   skip compiling the offline engine ahead (it then compiles on first use)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$REPO/.venv"
DEV=0
LINK_GIMP=1
WARM=1
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1 ;;
    --no-gimp) LINK_GIMP=0 ;;
    --no-warm) WARM=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $arg (use --dev, --no-gimp, --no-warm)" >&2; exit 2 ;;
  esac
done

say() { printf '  %s\n' "$*"; }

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
if ! PY="$(find_python)"; then
  echo "install.sh: Python 3.10 or newer with the venv module is needed." >&2
  echo "  Debian/Ubuntu: sudo apt install python3 python3-venv    macOS: brew install python" >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
  say "created $VENV with $("$VENV/bin/python" --version)"
else
  say "kept $VENV ($("$VENV/bin/python" --version))"
fi

target="$REPO"
[ "$DEV" = 1 ] && target="$REPO[dev]"
"$VENV/bin/python" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$target"
say "installed dependencies (pyproject.toml)$([ "$DEV" = 1 ] && echo ', with test tools')"

if [ "$WARM" = 1 ]; then
  # the fill's inner loops compile once (Numba, cached); doing it now keeps the first Remove quick
  if warm="$("$VENV/bin/python" -m plugin.engine.warmup 2>&1)"; then
    say "$warm"
  else
    say "could not compile the offline engine ahead; it will compile on first use"
    printf '%s\n' "$warm" | tail -3 | sed 's/^/    /'
  fi
fi

gimp_config_root() {
  # $1 = GIMP version folder (3.0 or 2.10)
  case "$(uname -s)" in
    Darwin) echo "$HOME/Library/Application Support/GIMP/$1" ;;
    *) echo "${XDG_CONFIG_HOME:-$HOME/.config}/GIMP/$1" ;;
  esac
}

link_plugin() {
  # $1 = plug-in folder, $2 = entry file in the repo, $3 = name GIMP loads
  local folder="$1" entry="$2" name="$3"
  [ -f "$entry" ] || { say "no $entry yet; skipped the GIMP link"; return 0; }
  mkdir -p "$folder/$name"
  chmod +x "$entry"
  ln -sfn "$entry" "$folder/$name/$name.py"
  say "linked $folder/$name/$name.py -> $entry"
}

if [ "$LINK_GIMP" = 1 ]; then
  gimp3="$(gimp_config_root 3.0)"
  link_plugin "$gimp3/plug-ins" "$REPO/imagen_gimp.py" imagen_gimp
  gimp2="$(gimp_config_root 2.10)"
  if [ -d "$gimp2" ] || command -v gimp-2.10 >/dev/null 2>&1; then
    if [ -f "$REPO/imagen_gimp_2.py" ]; then
      mkdir -p "$gimp2/plug-ins"
      chmod +x "$REPO/imagen_gimp_2.py"
      ln -sfn "$REPO/imagen_gimp_2.py" "$gimp2/plug-ins/imagen_gimp_2.py"
      say "linked $gimp2/plug-ins/imagen_gimp_2.py (GIMP 2.10, needs its Python-Fu)"
    fi
  else
    say "GIMP 2.10 not found; skipped its plug-in link"
  fi
fi

cat <<EOF

Done. Next:
  1. Try it offline:  $VENV/bin/imagen-gimp remove tests/data/rocket.jpg --mask tests/data/rocket-tower-mask.png -o rocket-no-tower.png
  2. Restart GIMP 3 and look under Filters > Imagen.
  3. For Imagen/Gemini on Vertex AI: gcloud auth application-default login
     and set GOOGLE_CLOUD_PROJECT (README, "Credentials").
EOF
