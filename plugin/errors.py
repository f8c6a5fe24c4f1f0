"""The one root of every mistake a user can fix, the kinds the job protocol names, and the bug log.

A problem the user can fix (a missing selection, a bad setting, a refused request) is a UserError:
its message says what to do, and the caller shows it as it is. Anything else that escapes a job is
a bug: the caller says so and names the log file that holds the traceback, never blaming the user.
This holds in every process (GIMP's Python 2.7 and 3, the worker, the CLI), so: standard library
only, Python 2.7 syntax, type comments.
"""

from __future__ import absolute_import

import os
import sys
import traceback

KINDS = ("host", "operation", "selection", "image", "config", "backend", "cancelled")
"""The kinds of user error, as the worker names them in its {"error": ..., "kind": ...} line.
"bug" is the kind of everything else."""
BUG = "bug"


class UserError(Exception):
    """A problem the user can fix; the message says what to do. Nothing of the image was changed."""

    kind = "host"


def kind_of(exc):
    # type: (BaseException) -> str
    """The protocol's name for an exception: its kind when the user can fix it, else "bug"."""
    if isinstance(exc, UserError) and exc.kind in KINDS:
        return exc.kind
    return BUG


def log_folder(environ=None):
    # type: (dict) -> str
    """~/.cache/imagen-gimp (XDG_CACHE_HOME respected): where the last bug's traceback is kept."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "imagen-gimp")


def write_bug_log(text, environ=None):
    # type: (str, dict) -> str
    """Keep a traceback in last-error.log for the user's report; returns its path, "" when it cannot.

    The text is a traceback or a worker's stderr: neither holds settings or keys (no module logs them).
    """
    folder = log_folder(environ)
    path = os.path.join(folder, "last-error.log")
    try:
        if not os.path.isdir(folder):
            os.makedirs(folder)
        with open(path, "wb") as handle:
            handle.write(text.encode("utf-8", "replace") if not isinstance(text, bytes) else text)
    except (IOError, OSError):
        return ""
    return path


def log_exception(exc):
    # type: (BaseException) -> str
    """write_bug_log of the exception being handled; returns the log's path. Python 2.7's exceptions carry no
    __traceback__: there the stack comes from sys.exc_info(), or the log would hold one line."""
    stack = getattr(exc, "__traceback__", None) or sys.exc_info()[2]
    return write_bug_log("".join(traceback.format_exception(type(exc), exc, stack)))


def bug_message(title, what, log_path, tail=""):
    # type: (str, str, str, str) -> str
    """The one wording of a bug: not the user's fault, the image untouched, where the details are."""
    where = ("please report it with %s" % log_path) if log_path else "please report it with these lines"
    text = "%s failed: %s. The image was not changed. This is a bug in the plug-in, not something you did; %s" % (
        title, what, where)
    return text + (":\n" + tail if tail else ".")


class HostError(UserError):
    """The call cannot go on as asked (no selection, the wrong layer, a bad value): the message says
    what to do; the image was not touched."""

    kind = "host"


class BugReported(Exception):
    """A bug already put in the user's words (bug_message) with its log kept: shown as it is, not as the
    user's mistake and not as a second traceback."""


class EmptySelectionError(UserError, ValueError):
    """Nothing is selected where the action needs a selection."""

    kind = "selection"

    def __init__(self):
        # type: () -> None
        super(EmptySelectionError, self).__init__(
            "The selection is empty. Select the area to change (for example with the Free Select "
            "tool) and run the action again."
        )
