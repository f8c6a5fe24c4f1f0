"""The Check Setup window (GIMP 3): one row per check, a mark and the fix, in a GimpUi dialog.

plugin/doctor.py writes the report ("OK      name: text", "PROBLEM name: text. Fix: ..."); this only
lays it out so a problem and its fix stand out. GTK only, imported when there is a display.
"""

from __future__ import annotations

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import GimpUi, Gtk, Pango  # noqa: E402

MARKS = {"OK": ("emblem-ok-symbolic", "OK"), "PROBLEM": ("dialog-warning-symbolic", "Problem"),
         "skipped": ("action-unavailable-symbolic", "Skipped")}


def rows(text: str) -> list[tuple[str, str, str]]:
    """(mark, what was checked, what was found) per report line; the last line is the summary."""
    out = []
    for line in text.splitlines():
        mark, _, rest = line.partition(" ")
        if mark not in MARKS:
            out.append(("", "", line.strip()))
            continue
        name, _, found = rest.strip().partition(": ")
        out.append((mark, name, found))
    return out


def show(text: str, passed: bool) -> None:
    """A window with the report; `passed` picks its heading."""
    GimpUi.init("imagen-gimp")
    dialog = GimpUi.Dialog(title="Imagen: Check Setup", role="imagen-check-setup")
    dialog.add_button("_Close", Gtk.ResponseType.CLOSE)
    grid = Gtk.Grid(column_spacing=8, row_spacing=6, margin=12)
    heading = Gtk.Label(xalign=0.0)
    heading.set_markup("<big><b>" + ("Everything is ready." if passed else "Some things need fixing; each line "
                                                                          "says how.") + "</b></big>")
    grid.attach(heading, 0, -1, 3, 1)
    for index, (mark, name, found) in enumerate(rows(text)):
        if mark:
            icon, label = MARKS[mark]
            image = Gtk.Image.new_from_icon_name(icon, Gtk.IconSize.MENU)
            image.set_tooltip_text(label)
            grid.attach(image, 0, index, 1, 1)
            title = Gtk.Label(xalign=0.0, yalign=0.0)
            title.set_markup(f"<b>{_escape(name)}</b>")
            grid.attach(title, 1, index, 1, 1)
        words = Gtk.Label(label=found, xalign=0.0, yalign=0.0, selectable=True)
        words.set_line_wrap(True)
        words.set_line_wrap_mode(Pango.WrapMode.WORD_CHAR)
        words.set_max_width_chars(80)
        grid.attach(words, 2 if mark else 0, index, 1 if mark else 3, 1)
    scroller = Gtk.ScrolledWindow(hscrollbar_policy=Gtk.PolicyType.NEVER, min_content_height=360,
                                  min_content_width=720, propagate_natural_height=True)
    scroller.add(grid)
    dialog.get_content_area().pack_start(scroller, True, True, 0)
    dialog.show_all()
    dialog.run()
    dialog.destroy()


def _escape(text: str) -> str:
    from gi.repository import GLib

    return GLib.markup_escape_text(text)
