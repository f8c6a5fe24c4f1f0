"""Screenshots of the real GIMP 3 under Xvfb: the Filters > Imagen menu, a dialog, Check Setup.

    .venv/bin/python tests/gimp3/screenshots.py [--version 3.2] [--dialog inpaint|check-setup|...]

Uses the same cached Debian roots as the tests (tests/gimp3/rootfs.py), with Xvfb, xdotool and
ImageMagick added. The dialog is opened from the real menu (an INTERACTIVE run); for the Inpaint dialog
the script turns Variations to 2, and GIMP runs with a project and a placeholder ADC file, so the cost
line shows what Vertex AI would bill. For Check Setup, GIMP talks to the loopback emulator, told to
answer as a project whose Vertex AI API is not enabled yet (the commonest first-run problem). Writes
menu.png and dialog.png or check-setup.png (cropped, 256-colour PNGs well under 300 KB).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gimp3 import rootfs  # noqa: E402
from plugin import actions  # noqa: E402

SCREEN = (1280, 1024)  # the Imagen submenu (14 items) ends near y=810: the screen and GIMP's window reach past it
# menu item: (its row in the Imagen submenu, window title, text typed into the prompt). GIMP lists the
# submenu by label in byte order ("Generate Image..." before "Generate from References..."); the action
# table (plugin/actions.py) names the items, so a new action moves the rows below it.
_LABELS = sorted([action.label.replace("_", "") for action in actions.MENU] + ["Check Setup..."])
_TEXTS = {"inpaint": "a small red paper boat on the saucer", "harmonize": "evening light from the left"}
DIALOGS = {"check-setup": (_LABELS.index("Check Setup..."), "Imagen: Check Setup", "")}
DIALOGS.update(
    {
        action.procedure: (_LABELS.index(action.label.replace("_", "")), action.title, _TEXTS.get(action.procedure, ""))
        for action in actions.MENU
    }
)
ROW_HEIGHT = 25  # pixels between the submenu's items
# image window, Filters menu and the whole Imagen submenu, whose length follows the action table
MENU_CROP = (0, 0, 900, 490 + ROW_HEIGHT * len(_LABELS) + 20)
# A throwaway gimprc. The script adds (config-version "<this GIMP>"): without it GIMP takes every start
# for the first one after an update and opens its Welcome dialog (behind the image window) anyway.
# GIMP 3.0 has no option to turn tooltips off (it ignores show-tool-tips and rejects the whole file
# on show-tooltips), so the menu shot keeps the pointer off the items that have one.
GIMPRC = "(show-welcome-dialog no)\n(show-tips no)\n"
CLICKS = {"inpaint": "200,322"}  # x,y in the dialog: the Variations "+", so the cost line counts 2 images
PROJECT = "my-project"  # what the cost line names; the ADC file the script writes is a placeholder
SCRIPT = r"""
set -u
export DISPLAY=:99 HOME=/root NO_AT_BRIDGE=1
Xvfb :99 -screen 0 "${SCREEN_W}x${SCREEN_H}x24" -nolisten tcp >/tmp/xvfb.log 2>&1 &
XVFB=$!
sleep 2
mkdir -p "$USER_FOLDER" /tmp/shots /tmp/shot-gcloud
rm -f /tmp/shots/*.png
# Vertex AI "set up" for the dialog's cost line: a project and a placeholder ADC file with no secret in
# it. Nothing is sent: the dialog is cancelled, and no call would get past it without real credentials.
printf '{"type": "authorized_user"}\n' > /tmp/shot-gcloud/application_default_credentials.json
export CLOUDSDK_CONFIG=/tmp/shot-gcloud GOOGLE_CLOUD_PROJECT="$PROJECT"
VERSION=$("$GIMP_BIN" --version 2>/dev/null | awk '{print $NF}')
printf '%s(config-version "%s")\n' "$GIMPRC" "$VERSION" > "$USER_FOLDER/gimprc"
"$GIMP_BIN" -n --no-splash --batch-interpreter=python-fu-eval -b "$BATCH" >/tmp/gimp-gui.log 2>&1 &
GIMP=$!
# the image window's title ends in "GIMP" ("...sRGB, 1 layer) 600x400 - GIMP"), the Welcome dialog's not
for i in $(seq 1 90); do xdotool search --onlyvisible --name " GIMP\$" >/dev/null 2>&1 && break; sleep 1; done
sleep 3
# no window manager here: the window keeps GIMP's default size (about 1000x600) unless told
WINDOW=$(xdotool search --onlyvisible --name " GIMP\$" | head -1)
xdotool windowmove "$WINDOW" 0 0 windowsize "$WINDOW" "$SCREEN_W" "$SCREEN_H"
sleep 5
# no window manager here: drive the menu with the mouse (positions of GIMP 3.0.4's default layout)
xdotool mousemove "$FILTERS_X" 12 click 1; sleep 1.5          # Filters
xdotool mousemove "$IMAGEN_X" "$IMAGEN_Y"; sleep 2   # Imagen > opens the submenu
# The pointer rests on "Imagen", which has no tooltip. GTK shows an item's tooltip after half a second
# on it (and at once after another one was shown), so it stays off the submenu's items until the shot.
import -window root /tmp/shots/menu.png
xdotool mousemove "$SUBMENU_X" "$IMAGEN_Y"; sleep 0.2; xdotool mousemove "$SUBMENU_X" "$ITEM_Y"; sleep 0.2
xdotool click 1; sleep 1                             # the menu item: a real interactive run
for i in $(seq 1 30); do xdotool search --onlyvisible --name "$TITLE" >/dev/null 2>&1 && break; sleep 1; done
sleep 3
DIALOG=$(xdotool search --onlyvisible --name "$TITLE" | tail -1)
xdotool windowraise "$DIALOG"; xdotool windowfocus "$DIALOG"; sleep 1
if [ -n "$TYPE" ]; then
  xdotool mousemove 200 40 click 1; sleep 0.5        # into the prompt box
  xdotool type --delay 20 "$TYPE"; sleep 1
fi
for xy in $CLICKS; do
  xdotool mousemove --window "$DIALOG" "${xy%,*}" "${xy#*,}" click 1; sleep 0.5
done
xdotool mousemove "$SCREEN_W" "$SCREEN_H"; sleep 1   # off the dialog: no hover, no tooltip
xdotool getwindowgeometry --shell "$DIALOG" > /tmp/shots/dialog.geom
import -window root /tmp/shots/dialog.png
xdotool key Escape; sleep 1
xdotool key Escape; sleep 1
kill $GIMP 2>/dev/null; sleep 2; kill -9 $GIMP 2>/dev/null
kill $XVFB 2>/dev/null
"""
BATCH = """
from gi.repository import Gimp, Gio
path = "/opt/imagen-gimp/tests/data/coffee.jpg"
img = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(path))
Gimp.Display.new(img)
img.select_ellipse(Gimp.ChannelOps.REPLACE, 330, 120, 120, 110)
Gimp.displays_flush()
"""
PASTED = """
pasted = Gimp.Layer.new_from_drawable(img.get_layers()[0], img)
img.insert_layer(pasted, None, 0)
pasted.scale(240, 160, False)
pasted.set_offsets(330, 210)
pasted.set_name("Pasted")
Gimp.Selection.none(img)
img.set_selected_layers([pasted])
Gimp.displays_flush()
"""  # Harmonize's dialog: a pasted layer above the photo, active


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(rootfs.REPO / "docs" / "img"))
    parser.add_argument(
        "--dialog",
        choices=sorted(DIALOGS),
        default="inpaint",
        help="which dialog to open (others than inpaint are saved as dialog-NAME.png; check-setup as check-setup.png)",
    )
    parser.add_argument("--version", choices=sorted(rootfs.HOSTS), default="3.2", help="which GIMP")
    parser.add_argument("--filters-x", type=int, default=426, help="x of the Filters menu in the menu bar")
    parser.add_argument(
        "--imagen-y",
        type=int,
        default=0,
        help="y of Imagen in the Filters menu (default: where GIMP 3.0.4 and 3.2.6 put it)",
    )
    args = parser.parse_args()
    args.imagen_y = args.imagen_y or {"3.0": 490, "3.2": 469}[args.version]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    server = None
    env_extra = {}
    if args.dialog == "check-setup":
        from emulator import Fault, quick_engine, start_in_thread

        server, url = start_in_thread(faults=[Fault("403-disabled", count=100)], engine=quick_engine)
        env_extra = {"IMAGEN_GIMP_ENDPOINT": url}
    host = rootfs.HOSTS[args.version]
    try:
        with rootfs.session(extra_packages=rootfs.SCREEN_PACKAGES, version=args.version) as root:
            row, title, text = DIALOGS[args.dialog]
            batch = BATCH + (PASTED if args.dialog == "harmonize" else "")
            env = {
                "GIMPRC": GIMPRC,
                "BATCH": batch,
                "ITEM_Y": str(args.imagen_y + ROW_HEIGHT * row),
                "TITLE": title,
                "TYPE": text,
                "CLICKS": CLICKS.get(args.dialog, ""),
                "PROJECT": PROJECT,
                "SCREEN_W": str(SCREEN[0]),
                "SCREEN_H": str(SCREEN[1]),
                "GIMP_BIN": host.gui,
                "USER_FOLDER": host.user_folder,
                "FILTERS_X": str(args.filters_x),
                "IMAGEN_X": str(args.filters_x + 27),
                "IMAGEN_Y": str(args.imagen_y),
                "SUBMENU_X": str(args.filters_x + 294),
                **env_extra,
            }
            done = root.sh(SCRIPT, env=env, capture=True, timeout=300)
            return _save(root, done, args, out)
    finally:
        if server is not None:
            server.stop()


def _save(root, done, args, out: Path) -> int:
    """Crop and save the menu and the dialog screenshots the script took inside the root."""
    print(done.stdout[-3000:], done.stderr[-3000:])
    geometry_file = root.inside("/tmp/shots/dialog.geom")
    geometry = dict(
        line.split("=", 1)
        for line in (geometry_file.read_text().split() if geometry_file.exists() else [])
        if "=" in line
    )
    x, y = int(geometry.get("X", 0)), int(geometry.get("Y", 0))
    dialog_crop = (x, y, x + int(geometry.get("WIDTH", 480)), y + int(geometry.get("HEIGHT", 560)))
    dialog_name = {"inpaint": "dialog", "check-setup": "check-setup"}.get(args.dialog, f"dialog-{args.dialog}")
    for name, crop in (("menu", MENU_CROP), (dialog_name, dialog_crop)):
        shot = root.inside(f"/tmp/shots/{'menu' if name == 'menu' else 'dialog'}.png")
        if not shot.exists():
            print(f"no {name} screenshot; see /tmp/gimp-gui.log in the root")
            return 1
        target = out / f"{name}.png"
        save_small(shot, target, crop)
        print(f"wrote {target} ({target.stat().st_size // 1024} KB)")
    return 0


def save_small(source: Path, target: Path, crop: tuple | None) -> None:
    from PIL import Image

    with Image.open(source) as picture:
        picture = picture.convert("RGB")
        if crop:
            picture = picture.crop(crop)
        picture.quantize(256, dither=Image.Dither.NONE).save(target, optimize=True)


if __name__ == "__main__":
    sys.exit(main())
