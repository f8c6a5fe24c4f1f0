"""The PDB procedures and menu entries, derived from the action table (plugin/actions.py).

Both adapters register exactly these; a dialog's value becomes an operation field through
choice_value and field_name. GIMP's Python (2.7 for GIMP 2.10): standard library only, 2.7 syntax.
"""

from __future__ import absolute_import

import collections

from plugin import actions, params
from plugin.errors import HostError

MENU_PATH = "<Image>/Filters/Imagen"
PROC_PREFIX = "python-fu-imagen-"

Procedure = collections.namedtuple("Procedure", "action name title label blurb params needs_image")
"""One menu entry: action (the table's name), name (the PDB's), title, label, blurb, params,
needs_image (an open image: every entry but Generate Image)."""

PROCEDURES = tuple(
    Procedure(entry.name, PROC_PREFIX + entry.procedure, entry.title, entry.label, entry.blurb, entry.params,
              actions.needs_image(entry.name))
    for entry in actions.MENU)
PROCEDURE_BY_NAME = dict((proc.name, proc) for proc in PROCEDURES)
PROCEDURE_BY_ACTION = dict((proc.action, proc) for proc in PROCEDURES)

SETUP_PROCEDURE = PROC_PREFIX + "check-setup"
SETUP_LABEL = "_Check Setup..."
SETUP_BLURB = ("Check what the plug-in needs: Python, the worker, GIMP's folders, Google Cloud credentials, "
               "project, Vertex AI and its models; each problem with its fix")

CHOICE_ALIASES = params.CHOICE_ALIASES


def returns_image(action):
    # type: (str) -> bool
    """The procedure returns an image (a new one, or the current one with 'into-image')."""
    return actions.BY_NAME[action].result in ("new-image", "new-image-or-layers")


def choice_value(param, nick):
    # type: (object, str) -> object
    nick = CHOICE_ALIASES.get(nick, nick)
    for choice_nick, value, _label in param.extra:
        if choice_nick == nick or value == nick:
            return value
    raise HostError("%s: %r is not one of %s" % (param.name, nick, ", ".join(c[0] for c in param.extra)))


field_name = params.field_name
