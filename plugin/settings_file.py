"""Where the settings file is, and the one setting the menus read before anything else: is Imagen enabled?

The Backend menus (GIMP 3's dialogs, GIMP 2.10's registration, the command line's --backend) list the
Imagen (legacy) backend only when the settings file says

    [imagen]
    enabled = true

(Google shut Imagen down in 2026; a project that keeps an endpoint turns it on). plugin/config.py reads
the whole file in the venv and GIMP 3; GIMP 2.10's Python 2.7 has no TOML reader, so this module reads
that one key with tomllib when there is one, else line by line (tests/test_imagen_menus.py checks both
readings agree). Anything unreadable counts as "not enabled": a menu must open whatever the file holds,
and the worker reports a broken file with its line. Standard library only, 2.7 syntax.
"""

from __future__ import absolute_import

import io
import os
import re

try:
    import tomllib as _toml  # Python 3.11
except ImportError:  # Python 3.10 (the venv's tomli), or GIMP 2.10's 2.7 (the line reader)
    try:
        import tomli as _toml
    except ImportError:
        _toml = None

_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\"-]+)\s*\]\s*(#.*)?$")
_ENABLED = re.compile(r"^\s*enabled\s*=\s*(true|false)\s*(#.*)?$")


def config_path(environ=None):
    # type: (dict) -> str
    """$IMAGEN_GIMP_CONFIG, else $XDG_CONFIG_HOME/imagen-gimp/config.toml, else ~/.config/imagen-gimp/config.toml."""
    environ = os.environ if environ is None else environ
    explicit = environ.get("IMAGEN_GIMP_CONFIG")
    if explicit:
        return explicit
    home = environ.get("HOME") or os.path.expanduser("~")
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    return os.path.join(base, "imagen-gimp", "config.toml")


def imagen_enabled(environ=None):
    # type: (dict) -> bool
    """True when the settings file sets [imagen] enabled = true; False when it does not, or is unreadable."""
    try:
        with io.open(config_path(environ), "r", encoding="utf-8") as handle:
            text = handle.read()
    except (IOError, OSError, ValueError):
        return False
    if _toml is not None:
        try:
            imagen = _toml.loads(text).get("imagen")
        except ValueError:  # TOMLDecodeError is a ValueError
            return False
        return isinstance(imagen, dict) and imagen.get("enabled") is True
    return enabled_in_lines(text)


def enabled_in_lines(text):
    # type: (str) -> bool
    """The line reader (Python 2.7): `enabled = true` under the [imagen] header, comments allowed."""
    table = None
    for line in text.splitlines():
        header = _TABLE.match(line)
        if header:
            table = header.group(1).strip('"')
            continue
        found = _ENABLED.match(line)
        if found and table == "imagen":
            return found.group(1) == "true"
    return False
