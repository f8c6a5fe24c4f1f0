# Sourced by install.sh (bash 3.2 or newer; no process substitution, which needs /dev/fd): finds
# GIMP's user folders, writes the plug-in entries into them, and removes them again (--uninstall).
# Uses REPO, MANIFEST, VENV and say() from install.sh.
#
# Why entry files and not links: GIMP 3.2, on its first start, copies the GIMP 3.0 folder, and it
# copies a linked plug-in as a plain file, which then cannot follow its link back here. An entry
# is a plain file that names this folder and runs its imagen_gimp.py, so a copy works as well.
# Why GIMP makes its own folder: GIMP imports the previous version's settings (and, from 3.0 to 3.2,
# our entry) only when its folder does not exist yet; a folder we made would cut that short.

ENTRY_MARK="# imagen-gimp entry"
GIMP_FOUND=0       # folders written into (or already up to date)
GIMP_PENDING=0     # found, but not written into (the message says why)

remember() {
  # $1 = kind (venv, dir, entry), $2 = path: one line of the manifest, once
  local line
  line="$(printf '%s\t%s' "$1" "$2")"
  if [ ! -f "$MANIFEST" ] || ! grep -qxF -- "$line" "$MANIFEST"; then
    printf '%s\n' "$line" >>"$MANIFEST"
  fi
}

manifest_paths() {
  # $1 = kind: its paths, last made first
  [ -f "$MANIFEST" ] || return 0
  awk -F '\t' -v kind="$1" '$1 == kind { lines[++n] = $2 } END { for (i = n; i > 0; i--) print lines[i] }' \
    "$MANIFEST"
}

config_base() {
  case "$(uname -s)" in
    Darwin) printf '%s\n' "$HOME/Library/Application Support/GIMP" ;;
    *) printf '%s\n' "${XDG_CONFIG_HOME:-$HOME/.config}/GIMP" ;;
  esac
}

version_folder() {
  # $1 = GIMP version (3.2): the user folder that GIMP reads (GIMP3_DIRECTORY / GIMP2_DIRECTORY win)
  case "$1" in
    3.*) if [ -n "${GIMP3_DIRECTORY:-}" ]; then printf '%s\n' "$GIMP3_DIRECTORY"; return; fi ;;
    2.*) if [ -n "${GIMP2_DIRECTORY:-}" ]; then printf '%s\n' "$GIMP2_DIRECTORY"; return; fi ;;
  esac
  printf '%s/%s\n' "$(config_base)" "$1"
}

gimp_commands() {
  # every gimp, gimp-X.Y, gimp-console, gimp-console-X.Y on the PATH, and the macOS application
  compgen -c | grep -E '^gimp(-console)?(-[0-9]+(\.[0-9]+)*)?$' | sort -u || true
  if [ "$(uname -s)" = Darwin ]; then
    local app
    for app in /Applications/GIMP*.app/Contents/MacOS/gimp "$HOME"/Applications/GIMP*.app/Contents/MacOS/gimp; do
      [ -x "$app" ] && printf '%s\n' "$app"
    done
  fi
  return 0
}

run_for() {
  # $1 = seconds, then a command: run it, killed when it takes longer (macOS has no timeout(1))
  local seconds="$1" pid waited=0
  shift
  "$@" </dev/null >/dev/null 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge "$((seconds * 10))" ]; then
      kill "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  wait "$pid" 2>/dev/null || true
}

binary_version() {
  # $1 = a GIMP binary: its major.minor ("GNU Image Manipulation Program version 3.2.6" -> 3.2)
  local out
  if command -v timeout >/dev/null 2>&1; then
    out="$(timeout 30 "$1" --version 2>/dev/null </dev/null)" || true
  else
    out="$("$1" --version 2>/dev/null </dev/null)" || true
  fi
  printf '%s\n' "$out" | sed -n 's/.*[Vv]ersion \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n 1
}

older_folder() {
  # $1 = version: the older user folder GIMP would import at its first start, if any (3.2: 3.0, 2.10)
  local major="${1%%.*}" minor="${1#*.}" m folder
  m=$((minor - 1))
  while [ "$m" -ge 0 ]; do
    folder="$(config_base)/$major.$m"
    [ -d "$folder" ] && { printf '%s\n' "$folder"; return; }
    m=$((m - 1))
  done
  if [ "$major" = 3 ] && [ -d "$(config_base)/2.10" ]; then printf '%s\n' "$(config_base)/2.10"; fi
}

# -- entries ----------------------------------------------------------------------------------

registration_sum() {
  # a checksum of the code that registers the procedures: when it changes, so does the entry, and
  # GIMP (which caches what a plug-in registered until its file changes) asks again
  (cd "$REPO" && cat imagen_gimp.py imagen_gimp_2.py plugin/actions.py plugin/params.py plugin/hosts/*.py 2>/dev/null; true) | cksum |
    awk '{ print $1 "-" $2 }'
}

render_entry() {
  # $1 = template in entries/: printed with this folder as INSTALLATION (a Python string literal)
  local escaped line sum
  escaped="$(printf '%s' "$REPO" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
  sum="$(registration_sum)"
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      'INSTALLATION = "@INSTALLATION@"') printf 'INSTALLATION = "%s"\n' "$escaped" ;;
      '# registration: @REGISTRATION@') printf '# registration: %s\n' "$sum" ;;
      *) printf '%s\n' "$line" ;;
    esac
  done <"$1"
}

named_installation() {
  # $1 = an entry file: the folder it names, as written (escaped)
  sed -n 's/^INSTALLATION = "\(.*\)"$/\1/p' "$1" | head -n 1
}

entry_state() {
  # $1 = entry path, $2 = wanted content: missing, current, link, entry, copy or foreign
  local target
  if [ -L "$1" ]; then
    target="$(readlink "$1")"
    case "${target##*/}" in imagen_gimp.py|imagen_gimp_2.py) echo link ;; *) echo foreign ;; esac
  elif [ ! -e "$1" ]; then
    echo missing
  elif [ ! -f "$1" ]; then
    echo foreign
  elif [ "$(cat "$1")" = "$2" ]; then
    echo current
  elif grep -q "^$ENTRY_MARK" "$1"; then
    echo entry
  elif grep -qE 'class ImagenPlugIn\(Gimp\.PlugIn\)|gimp2\.register_all\(\)' "$1"; then
    echo copy  # GIMP copied an old link to imagen_gimp.py as a plain file: it cannot find plugin/
  else
    echo foreign
  fi
}

make_dirs() {
  # $1 = folder: made with its missing parents, each one remembered for --uninstall
  local dir="$1" missing=() d
  while [ ! -d "$dir" ]; do
    missing=("$dir" ${missing[@]+"${missing[@]}"})
    dir="$(dirname "$dir")"
  done
  for d in ${missing[@]+"${missing[@]}"}; do
    mkdir "$d"
    remember dir "$d"
  done
}

write_entry() {
  # $1 = plug-in folder, $2 = file name, $3 = template, $4 = label (GIMP 3.2)
  local dest="$1/$2" want state named
  want="$(render_entry "$REPO/entries/$3")"
  state="$(entry_state "$dest" "$want")"
  if [ "$state" = foreign ]; then
    say "$4: left $dest alone: install.sh did not write it (move it away and run ./install.sh again)"
    GIMP_PENDING=$((GIMP_PENDING + 1))
    return 0
  fi
  make_dirs "$1"
  if [ "$state" = current ]; then
    [ -x "$dest" ] || chmod 755 "$dest"
    say "$4: $dest is up to date"
  else
    named=""
    [ "$state" = entry ] && named="$(named_installation "$dest")"
    printf '%s\n' "$want" >"$dest.new.$$"
    chmod 755 "$dest.new.$$"
    rm -f "$dest"
    mv "$dest.new.$$" "$dest"
    case "$state" in
      missing) say "$4: wrote $dest" ;;
      link) say "$4: wrote $dest (instead of the old link)" ;;
      copy) say "$4: repaired $dest (GIMP had copied an old link there as a plain file)" ;;
      *) if [ -n "$named" ] && [ "$named" != "$(printf '%s' "$REPO" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')" ]
         then say "$4: rewrote $dest (it ran $named)"
         else say "$4: updated $dest (GIMP registers the procedures again at its next start)"; fi ;;
    esac
  fi
  remember entry "$dest"
  GIMP_FOUND=$((GIMP_FOUND + 1))
}

write_gimp3() { write_entry "$1/plug-ins/imagen_gimp" imagen_gimp.py gimp3.py "$2"; }
write_gimp2() { write_entry "$1/plug-ins" imagen_gimp_2.py gimp2.py "$2"; }

# -- finding GIMP -----------------------------------------------------------------------------

FOLDERS=()   # user folders to write into
LABELS=()    # "GIMP 3.2", same index

add_folder() {
  # $1 = folder, $2 = label; once per folder
  local i
  for i in ${FOLDERS[@]+"${!FOLDERS[@]}"}; do
    [ "${FOLDERS[$i]}" = "$1" ] && return 0
  done
  FOLDERS+=("$1")
  LABELS+=("$2")
}

folder_for_binary() {
  # $1 = binary, $2 = its name, $3 = version: make sure GIMP's folder exists, then add it
  local folder older
  folder="$(version_folder "$3")"
  if [ ! -d "$folder" ]; then
    older="$(older_folder "$3")"
    if [ -n "$older" ]; then
      say "GIMP $3 ($2) has no folder yet: starting it once, headless, so that it imports $older"
    else
      say "GIMP $3 ($2) has no folder yet: starting it once, headless, so that it makes $folder"
    fi
    run_for 300 "$1" -i -n --quit
    if [ ! -d "$folder" ]; then
      say "GIMP $3 did not make $folder; install.sh makes it"
      make_dirs "$folder"
    fi
  fi
  add_folder "$folder" "GIMP $3"
}

find_folders() {
  # the user folders there are: 3.0, 3.2, 3.4 ... and 2.10
  local base folder
  base="$(config_base)"
  for folder in "$base"/3.* "$base"/2.10; do
    case "${folder##*/}" in
      3.[0-9]|3.[0-9][0-9]|2.10) [ -d "$folder" ] && add_folder "$folder" "GIMP ${folder##*/}" ;;
    esac
  done
  if [ -n "${GIMP3_DIRECTORY:-}" ] && [ -d "$GIMP3_DIRECTORY" ]; then add_folder "$GIMP3_DIRECTORY" "GIMP 3"; fi
  if [ -n "${GIMP2_DIRECTORY:-}" ] && [ -d "$GIMP2_DIRECTORY" ]; then add_folder "$GIMP2_DIRECTORY" "GIMP 2.10"; fi
}

find_binaries() {
  # the folder of each GIMP on the PATH, by the version it says (after find_folders' were written,
  # so that a GIMP that imports an older folder at its first start copies a current entry)
  local name path real seen="|" version console
  while IFS= read -r name; do
    path="$(command -v "$name" 2>/dev/null || printf '%s' "$name")"
    [ -x "$path" ] || continue
    real="$(readlink -f "$path" 2>/dev/null || printf '%s' "$path")"
    case "$seen" in *"|$real|"*) continue ;; esac
    seen="$seen$real|"
    version="$(binary_version "$path")"
    case "$version" in
      3.*|2.10) ;;
      *) continue ;;
    esac
    # the console binary of the same version starts quicker and never looks for a display
    console="$(command -v "gimp-console-$version" 2>/dev/null || printf '%s' "$path")"
    folder_for_binary "$console" "${name##*/}" "$version"
  done <<EOF
$(gimp_commands)
EOF
}

flatpak_note() {
  local flatpak="$HOME/.var/app/org.gimp.GIMP"
  if [ -d "$flatpak" ] || { command -v flatpak >/dev/null 2>&1 && flatpak info org.gimp.GIMP >/dev/null 2>&1; }; then
    say "Flatpak GIMP found ($flatpak): not supported, nothing written there. Its sandbox cannot run"
    say "  this installation's Python ($VENV). Use a GIMP 3 installed from your distribution instead."
  fi
}

write_folders() {
  # $1 = index of the first folder not written yet
  local i="$1"
  while [ "$i" -lt "${#FOLDERS[@]}" ]; do
    case "${LABELS[$i]}" in
      "GIMP 2.10") write_gimp2 "${FOLDERS[$i]}" "GIMP 2.10 (needs its Python-Fu)" ;;
      *) write_gimp3 "${FOLDERS[$i]}" "${LABELS[$i]}" ;;
    esac
    i=$((i + 1))
  done
}

install_gimp_entries() {
  local written
  case "$REPO" in *$'\n'*|*$'\t'*) echo "install.sh: the folder's path has a tab or newline" >&2; return 1 ;; esac
  find_folders
  write_folders 0
  written="${#FOLDERS[@]}"
  find_binaries
  write_folders "$written"
  flatpak_note
  if [ "$GIMP_FOUND" = 0 ] && [ "$GIMP_PENDING" = 0 ]; then
    say "No GIMP found: no folder GIMP/3.x in $(config_base), and no gimp-3.x, gimp or gimp-console"
    say "  on the PATH. Install GIMP 3 (Debian/Ubuntu: sudo apt install gimp; or from gimp.org),"
    say "  start it once, then run ./install.sh again."
  elif [ "$GIMP_FOUND" -gt 0 ]; then
    say "GIMP runs the plug-in from $REPO: keep this folder where it is (or run ./install.sh again)."
  fi
}

# -- uninstall --------------------------------------------------------------------------------

ours_to_remove() {
  # $1 = an entry path: is it this installation's (so --uninstall may remove it)?
  local target escaped
  escaped="$(printf '%s' "$REPO" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
  if [ -L "$1" ]; then
    target="$(readlink "$1")"
    [ "$target" = "$REPO/imagen_gimp.py" ] || [ "$target" = "$REPO/imagen_gimp_2.py" ]
  elif [ -f "$1" ] && grep -q "^$ENTRY_MARK" "$1"; then
    [ "$(named_installation "$1")" = "$escaped" ]
  elif [ -f "$1" ]; then
    cmp -s "$1" "$REPO/imagen_gimp.py" || cmp -s "$1" "$REPO/imagen_gimp_2.py"
  else
    return 1
  fi
}

candidate_entries() {
  # what --uninstall looks at: the entries it wrote, and any in GIMP's folders (copies GIMP made)
  local base dir
  base="$(config_base)"
  manifest_paths entry
  for dir in "$base"/3.* "$(version_folder 3.0)"; do printf '%s\n' "$dir/plug-ins/imagen_gimp/imagen_gimp.py"; done
  for dir in "$base"/2.10 "$(version_folder 2.10)"; do printf '%s\n' "$dir/plug-ins/imagen_gimp_2.py"; done
}

uninstall_all() {
  local entry dir removed=0 kept=0 seen="|"
  while IFS= read -r entry; do
    [ -n "$entry" ] || continue
    case "$seen" in *"|$entry|"*) continue ;; esac
    seen="$seen$entry|"
    if ours_to_remove "$entry"; then
      rm -f "$entry"
      say "removed $entry"
      removed=$((removed + 1))
      dir="$(dirname "$entry")"
      if [ "${dir##*/}" = imagen_gimp ]; then rmdir "$dir" 2>/dev/null || true; fi
    elif [ -e "$entry" ] || [ -L "$entry" ]; then
      say "kept $entry: it is not this installation's"
    fi
  done <<EOF
$(candidate_entries)
EOF
  while IFS= read -r dir; do
    if [ -d "$dir" ] && rmdir "$dir" 2>/dev/null; then
      say "removed $dir (install.sh had made it)"
    elif [ -d "$dir" ]; then
      kept=$((kept + 1))
    fi
  done <<EOF
$(manifest_paths dir)
EOF
  [ "$kept" -gt 0 ] && say "kept $kept folder(s) install.sh had made: they hold other files now (GIMP's)"
  while IFS= read -r dir; do
    if [ "$dir" = "$VENV" ] && [ -d "$dir" ]; then
      rm -rf "$dir"
      say "removed $dir"
      if [ -d "$REPO/.models" ]; then rm -rf "$REPO/.models"; say "removed $REPO/.models"; fi
    fi
  done <<EOF
$(manifest_paths venv)
EOF
  rm -f "$MANIFEST"
  [ "$removed" -gt 0 ] || say "no GIMP entry of this installation was found"
  return 0
}
