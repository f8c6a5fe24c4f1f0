"""The Check Setup window (GIMP 3): one row per check, a mark, what was found and, for a problem, its fix.

plugin/doctor.py writes the report ("OK      name: text", "PROBLEM name: text. Fix: ..."); this only
lays it out so a problem and its fix stand out. GTK only, imported when there is a display.
"""

from __future__ import annotations

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import GimpUi, GLib, Gtk, Pango  # noqa: E402

MARKS = {
    "OK": '<span foreground="#3fa34d" weight="bold">OK</span>',  # words, not symbols: every font has them
    "PROBLEM": '<span foreground="#e8a317" weight="bold">Problem</span>',
    "skipped": '<span foreground="#999999">skipped</span>',
}


def rows(text: str) -> list[tuple[str, str, str, str]]:
    """(mark, what was checked, what was found, its fix) per report line; other lines (the summary)
    come back with an empty mark."""
    out = []
    for line in text.splitlines():
        mark, _, rest = line.partition(" ")
        if mark not in MARKS:
            out.append(("", "", line.strip(), ""))
            continue
        name, _, found = rest.strip().partition(": ")
        found, _, fix = found.partition(". Fix: ")
        out.append((mark, name, found, fix))
    return out


def _label(markup: str, width: int = 0) -> Gtk.Label:
    label = Gtk.Label(xalign=0.0, yalign=0.0, selectable=True)
    label.set_markup(markup)
    if width:
        label.set_line_wrap(True)
        label.set_line_wrap_mode(Pango.WrapMode.WORD_CHAR)
        label.set_width_chars(width)
        label.set_max_width_chars(width)
    return label


def show(text: str, passed: bool) -> None:
    """A window with the report; `passed` picks its heading."""
    GimpUi.init("imagen-gimp")
    dialog = GimpUi.Dialog(title="Imagen: Check Setup", role="imagen-check-setup")
    dialog.add_button("_Close", Gtk.ResponseType.CLOSE)
    grid = Gtk.Grid(column_spacing=10, row_spacing=6, margin=12)
    heading = "Everything is ready." if passed else "Some things need fixing; each one says how."
    grid.attach(_label(f"<big><b>{heading}</b></big>"), 0, 0, 3, 1)
    for index, (mark, name, found, fix) in enumerate(rows(text), start=1):
        if not mark:
            grid.attach(_label(GLib.markup_escape_text(found), 80), 0, index, 3, 1)
            continue
        grid.attach(_label(MARKS[mark]), 0, index, 1, 1)
        grid.attach(_label(f"<b>{GLib.markup_escape_text(name)}</b>"), 1, index, 1, 1)
        words = GLib.markup_escape_text(found)
        if fix:
            words += f"\n<b>Fix:</b> {GLib.markup_escape_text(fix)}"
        grid.attach(_label(words, 72), 2, index, 1, 1)
    scroller = Gtk.ScrolledWindow(
        hscrollbar_policy=Gtk.PolicyType.NEVER, propagate_natural_height=True, max_content_height=640
    )
    scroller.add(grid)
    dialog.get_content_area().pack_start(scroller, True, True, 0)
    dialog.show_all()
    dialog.run()
    dialog.destroy()
