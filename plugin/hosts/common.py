"""Host logic shared by the GIMP 3 and GIMP 2.10 adapters: everything that is not GIMP I/O.

The adapters only read pixels, write layers and talk to the user; this module decides which
region to read, builds the job folder, runs the worker, and turns result.json into a plan of
layers to paste. It runs inside GIMP's own Python (3.x for GIMP 3, 2.7 for GIMP 2.10), so:
standard library only, Python 2.7 syntax, type comments, no f-strings.
"""
# ruff: noqa: UP003, UP010, UP025, UP031

from __future__ import absolute_import, division

import collections
import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time

from plugin import geometry, jobfiles
from plugin.hosts import warm_client

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, so no sweep; each job removes only its own folder
    fcntl = None

PLUGIN_VERSION = "0.1.0"
PARASITE_NAME = "imagen-gimp-provenance"
COMMENT_PARASITE = "gimp-comment"
MENU_PATH = "<Image>/Filters/Imagen"
PROC_PREFIX = "python-fu-imagen-"
WORKER_LOG = "worker.log"
JOB_PREFIX = "imagen-gimp-"
SECRET_WORDS = ("key", "token", "secret", "password", "credential", "authorization")


class HostError(Exception):
    """A problem the user can fix; the message says what to do. The image was not touched."""


# ---------------------------------------------------------------------------------------------
# Parameters: one table both adapters turn into PDB arguments and dialogs.
# ---------------------------------------------------------------------------------------------

Param = collections.namedtuple("Param", "name kind label blurb default extra host_only")
"""name: PDB argument (dashes); kind: text|string|names|int|float|bool|choice|color|file (names: a
comma-separated string in GIMP, a list in the operation); extra: (low, high) for int and float,
((nick, value, label), ...) for choice; host_only: not an op field."""

Procedure = collections.namedtuple("Procedure", "action name label blurb params needs_image")


def _p(name, kind, label, blurb, default, extra=None, host_only=False):
    # type: (str, str, str, str, object, object, bool) -> Param
    return Param(name, kind, label, blurb, default, extra, host_only)


ASPECT_CHOICES = (
    ("square", "1:1", "1:1 (square)"),
    ("portrait-3-4", "3:4", "3:4 (portrait)"),
    ("landscape-4-3", "4:3", "4:3 (landscape)"),
    ("portrait-9-16", "9:16", "9:16 (tall)"),
    ("landscape-16-9", "16:9", "16:9 (wide)"),
    ("portrait-2-3", "2:3", "2:3 (portrait photo)"),
    ("landscape-3-2", "3:2", "3:2 (landscape photo)"),
    ("portrait-4-5", "4:5", "4:5 (portrait print)"),
    ("landscape-5-4", "5:4", "5:4 (landscape print)"),
    ("landscape-21-9", "21:9", "21:9 (cinema)"),
)
ANCHOR_CHOICES = tuple(
    (nick, nick, label)
    for nick, label in (
        ("center", "Centre"), ("top", "Top"), ("bottom", "Bottom"), ("left", "Left"), ("right", "Right"),
        ("top-left", "Top left"), ("top-right", "Top right"),
        ("bottom-left", "Bottom left"), ("bottom-right", "Bottom right"),
    )
)
BACKEND_CHOICES = (
    ("auto", "auto", "Automatic (Google's models when Vertex AI is set up, else offline)"),
    ("local", "local", "Local engine (offline)"),
    ("gemini", "gemini", "Gemini on Vertex AI"),
    ("imagen", "imagen", "Imagen on Vertex AI (legacy: shut down by Google in 2026)"),
)
TIER_CHOICES = (
    ("quality", "quality", "Quality (Gemini 3 Pro Image)"),
    ("standard", "standard", "Standard (Gemini 3.1 Flash Image)"),
    ("fast", "fast", "Fast (Gemini 3.1 Flash-Lite Image, 1K)"),
)
"""The tiers' models are settings ([models] in config.toml); the labels name the shipped defaults."""
SIZE_CHOICES = (
    ("auto", "auto", "As the area needs (up to the settings' limit)"),
    ("size-1k", "1K", "1K (cheapest)"),
    ("size-2k", "2K", "2K"),
    ("size-4k", "4K", "4K"),
)
BACKGROUND_CHOICES = (
    ("transparent", "transparent", "Transparent (cut out)"),
    ("color", "color", "Solid colour"),
    ("blur", "blur", "Blurred original"),
    ("image", "image", "Picture from a file"),
    ("prompt", "prompt", "Generated from the prompt"),
)
EXPAND_CHOICES = (
    ("aspect", "aspect", "To an aspect ratio"),
    ("margins", "margins", "By margins in pixels"),
)
FACTOR_CHOICES = (("x2", 2, "2x"), ("x4", 4, "4x"))
KIND_CHOICES = (
    ("subject", "subject", "Subject: show this person, animal or product"),
    ("style", "style", "Style: paint in the style of this layer"),
    ("scribble", "scribble", "Scribble: follow this sketch"),
    ("canny", "canny", "Edges: follow this layer's outlines"),
)
SUBJECT_CHOICES = (
    ("default", "default", "Anything"), ("person", "person", "A person"), ("animal", "animal", "An animal"),
    ("product", "product", "A product"),
)
MAX_REFERENCES = 4
"""Imagen takes up to 4 subject references; a style, scribble or edge reference is one layer."""

PROMPT = _p("prompt", "text", "_Prompt", "What to put there", "")
ASPECT = _p("aspect-ratio", "choice", "_Aspect ratio", "Shape of the picture", "square", ASPECT_CHOICES)
NEGATIVE = _p("negative-prompt", "string", "_Negative prompt", "What to avoid", "")
VARIATIONS = _p("variations", "int", "_Variations", "How many versions to make (one layer each)", 1, (1, 4))
BACKEND = _p("backend", "choice", "_Backend", "Where the work runs", "auto", BACKEND_CHOICES)
TIER = _p("tier", "choice", "_Quality", "Which of Google's models: Quality, Standard or Fast", "standard",
          TIER_CHOICES)
MAX_SIZE = _p("max-size", "choice", "Max si_ze", "Largest picture the model may answer with (cost grows with size)",
              "auto", SIZE_CHOICES)
MODEL = _p("model", "string", "Mo_del ID", "A model ID instead of the tier's; empty = the tier's", "")
TAIL = (
    VARIATIONS,
    _p("seed", "int", "S_eed", "0 = random; the same seed asks for a similar result", 0, (0, 2 ** 31 - 1)),
    BACKEND, TIER, MAX_SIZE, MODEL,
)
MASK = (
    _p("grow", "int", "Gro_w selection", "Pixels added around the selection", 4, (0, 500)),
    _p("feather", "int", "_Feather", "Width of the soft edge, in pixels", 8, (0, 500)),
    _p("context", "int", "Conte_xt margin", "Pixels around the selection the model sees", 64, (0, 4096)),
)

PROCEDURES = (
    Procedure("generate", PROC_PREFIX + "generate", "_Generate Image...",
              "Make a new picture from a text prompt",
              (PROMPT, NEGATIVE,
               ASPECT,
               _p("into-image", "bool", "Add to the current _image", "Add layers instead of a new image",
                  False, host_only=True)) + TAIL,
              False),
    Procedure("insert", PROC_PREFIX + "inpaint", "_Inpaint (Insert)...",
              "Paint what the prompt describes into the selection",
              (PROMPT, NEGATIVE) + MASK + TAIL, True),
    Procedure("remove", PROC_PREFIX + "remove", "_Remove Object...",
              "Remove what is selected and fill in the background",
              (_p("prompt", "string", "H_int", "Optional: what the background should look like", ""),)
              + MASK + TAIL, True),
    Procedure("outpaint", PROC_PREFIX + "expand", "E_xpand Canvas...",
              "Grow the canvas and fill the new area",
              (_p("prompt", "string", "_Prompt", "Optional: what the new area should show", ""),
               _p("expand-mode", "choice", "Grow the canvas b_y", "How the new size is given", "aspect",
                  EXPAND_CHOICES,
                  host_only=True),
               _p("aspect-ratio", "choice", "_Aspect ratio", "Target shape", "landscape-16-9", ASPECT_CHOICES,
                  host_only=True),
               _p("anchor", "choice", "A_nchor", "Where the current picture stays", "center", ANCHOR_CHOICES,
                  host_only=True),
               # every label has a mnemonic, none taken twice in a dialog or by its buttons (_Reset,
               # _Cancel, _OK, _Help, _Load, _Save): GIMP prints "no mnemonic for property" otherwise
               _p("left", "int", "Left _margin", "Pixels added on the left", 0, (0, 8192)),
               _p("top", "int", "_Top margin", "Pixels added at the top", 0, (0, 8192)),
               _p("right", "int", "R_ight margin", "Pixels added on the right", 0, (0, 8192)),
               _p("bottom", "int", "Bottom mar_gin", "Pixels added at the bottom", 0, (0, 8192)))
              + MASK + TAIL, True),
    Procedure("background", PROC_PREFIX + "background", "Replace _Background...",
              "Cut out the subject (the selection, or found automatically) and replace what is behind it",
              (_p("mode", "choice", "_New background", "What goes behind the subject", "transparent",
                  BACKGROUND_CHOICES),
               _p("color", "color", "Colo_ur", "Colour for the solid background", "#ffffff"),
               _p("blur-radius", "int", "Blur r_adius", "Blur for the blurred background", 24, (1, 500)),
               _p("image-path", "file", "Pic_ture", "Picture for the background", ""),
               _p("prompt", "string", "_Prompt", "Background to generate (needs Vertex AI)", ""))
              + MASK + TAIL, True),
    Procedure("edit", PROC_PREFIX + "edit", "_Edit with Prompt...",
              "Change the picture as the prompt describes",
              (PROMPT, NEGATIVE) + TAIL, True),
    Procedure("upscale", PROC_PREFIX + "upscale", "_Upscale...",
              "Make a larger copy of the selection or the layer as a new image",
              (_p("factor", "choice", "_Factor", "How much larger", "x2", FACTOR_CHOICES), BACKEND, TIER, MAX_SIZE,
               MODEL),
              True),
    Procedure("describe", PROC_PREFIX + "describe", "_Describe Image...",
              "Describe the picture (or the selection) in words",
              (_p("question", "string", "Q_uestion", "Optional: ask something about the picture", ""),
               _p("store-comment", "bool", "Store as image co_mment", "Save the text as the image comment",
                  False, host_only=True),
               VARIATIONS, BACKEND, TIER, MODEL), True),
    Procedure("customize", PROC_PREFIX + "customize", "Generate from Re_ferences...",
              "Make a new picture from a prompt, guided by reference layers (subject, style, sketch, edges)",
              (PROMPT,
               _p("reference-layers", "names", "Re_ference layers",
                  "Layer names, comma-separated (up to 4 for a subject); empty = the selected layer(s)", ""),
               _p("kind", "choice", "_Kind of reference", "What the model takes from the references",
                  "subject", KIND_CHOICES),
               _p("description", "string", "Descr_iption",
                  "Optional: what the subject or style is ('a red mug', 'watercolour')", ""),
               _p("subject-type", "choice", "Subject t_ype", "What the subject is", "default",
                  SUBJECT_CHOICES),
               _p("compute-control", "bool", "Dra_w the lines from a photo",
                  "Scribble/edges: the layer is a photo; its sketch or edges are drawn from it first", False),
               NEGATIVE,
               ASPECT,
               _p("into-image", "bool", "Add to the current i_mage", "Add layers instead of a new image",
                  False, host_only=True)) + TAIL,
              True),
)
PROCEDURE_BY_NAME = dict((proc.name, proc) for proc in PROCEDURES)
PROCEDURE_BY_ACTION = dict((proc.action, proc) for proc in PROCEDURES)
TITLES = {
    "generate": "Generate Image", "insert": "Inpaint", "remove": "Remove Object", "outpaint": "Expand Canvas",
    "background": "Replace Background", "edit": "Edit with Prompt", "upscale": "Upscale",
    "describe": "Describe Image", "customize": "Generate from References",
}
FIXED_FIELDS = {"upscale": {"variations": 1, "seed": None}, "describe": {"seed": None, "max_size": "auto"}}
"""Operation fields a procedure does not expose, with the value it always sends."""
NEW_IMAGE_ACTIONS = ("generate", "customize")
"""Actions that make a new image unless 'into-image' is set (upscale always does)."""
TEXT_ACTIONS = ("describe",)
"""Actions whose result is text shown as a message."""


CHOICE_ALIASES = {"vertex": "imagen"}
"""Nicks of earlier versions: scripts and saved values that name the Imagen backend 'vertex'."""


def choice_value(param, nick):
    # type: (Param, str) -> object
    nick = CHOICE_ALIASES.get(nick, nick)
    for choice_nick, value, _label in param.extra:
        if choice_nick == nick or value == nick:
            return value
    raise HostError("%s: %r is not one of %s" % (param.name, nick, ", ".join(c[0] for c in param.extra)))


def field_name(param_name):
    # type: (str) -> str
    return param_name.replace("-", "_")


# ---------------------------------------------------------------------------------------------
# Values -> operation
# ---------------------------------------------------------------------------------------------

def build_operation(action, values, canvas_size=None):
    # type: (str, dict, tuple) -> dict
    """The operation dict for job.json from the dialog's values (keyed by PDB argument name).

    Choices become their values, seed 0 becomes None (random), host-only values are dropped and
    Expand's aspect ratio + anchor become margins for `canvas_size`. Range checks are the worker's
    job (ops.from_dict), so every entry point gives the same message.
    """
    proc = PROCEDURE_BY_ACTION[action]
    operation = {"action": action}
    for param in proc.params:
        if param.host_only:
            continue
        value = values.get(param.name, param.default)
        if param.kind == "choice":
            value = choice_value(param, value)
        elif param.kind in ("string", "text", "file", "color"):
            value = "" if value is None else _text(value)
        elif param.kind == "names":
            value = split_names(value)
        elif param.kind == "float":
            value = float(value)
        if param.name == "seed":
            value = int(value) or None
        operation[field_name(param.name)] = value
    operation.update(FIXED_FIELDS.get(action, {}))
    if action == "outpaint":
        operation.update(_outpaint_margins(proc, values, canvas_size))
    return operation


def split_names(text, known=()):
    # type: (object, tuple) -> list
    """'Sketch, mug photo' -> ['Sketch', 'mug photo']: typed layer names, in order, each once.

    A comma inside one of the `known` names ('Copy, 2') does not split it.
    """
    pieces = to_unicode(text).replace("\n", ",").split(",")
    names = []
    start = 0
    while start < len(pieces):
        end = next((end for end in range(len(pieces), start + 1, -1)
                    if ",".join(pieces[start:end]).strip() in known), start + 1)
        name = ",".join(pieces[start:end]).strip()
        if name and name not in names:
            names.append(name)
        start = end
    return names


def _outpaint_margins(proc, values, canvas_size):
    # type: (Procedure, dict, tuple) -> dict
    params = dict((param.name, param) for param in proc.params)
    mode = choice_value(params["expand-mode"], values.get("expand-mode", params["expand-mode"].default))
    if mode == "margins":
        margins = [int(values.get(side, 0)) for side in ("left", "top", "right", "bottom")]
        left, top, right, bottom = geometry.expanded_canvas(0, 0, margins=margins)
    else:
        if not canvas_size:
            raise HostError("Expand Canvas needs an image to expand")
        ratio_param = params["aspect-ratio"]
        ratio = choice_value(ratio_param, values.get("aspect-ratio", ratio_param.default))
        aspect = [int(part) for part in ratio.split(":")]
        anchor = choice_value(params["anchor"], values.get("anchor", "center"))
        left, top, right, bottom = geometry.expanded_canvas(
            canvas_size[0], canvas_size[1], aspect=aspect, anchor=anchor)
        if not (left or top or right or bottom):
            raise HostError("The image already has the aspect ratio %s: choose another ratio, or "
                            "set Expand to 'By margins in pixels'." % ratio)
    return {"left": left, "top": top, "right": right, "bottom": bottom}


def _text(value):
    # type: (object) -> str
    if isinstance(value, bytes) and not isinstance(value, str):
        return value.decode("utf-8")
    if isinstance(value, (type(u""), str)):
        return value
    return str(value)


# ---------------------------------------------------------------------------------------------
# Region of interest
# ---------------------------------------------------------------------------------------------

InputPlan = collections.namedtuple("InputPlan", "rect read_pixels read_selection transparent_outside")
"""rect: what to read, in image coordinates; transparent_outside: rect may leave the layer
(read with a transparent abyss); read_selection: also read the selection channel over rect."""


def plan_input(action, operation, layer_rect, canvas_rect, selection_bounds):
    # type: (str, dict, Rect, Rect, Rect) -> InputPlan
    """Which pixels the action needs, so a 6000x4000 layer costs no more than its selection.

    selection_bounds is None when there is no selection. Raises HostError (nothing was touched)
    when the action cannot work with this layer and selection.
    """
    title = TITLES.get(action, action)
    if action in NEW_IMAGE_ACTIONS:  # no input picture: customize reads whole reference layers instead
        return InputPlan(None, False, False, False)
    if layer_rect.width <= 0 or layer_rect.height <= 0:
        raise HostError("%s: the layer is empty. Choose a layer with pixels." % title)
    on_layer = None
    if selection_bounds is not None:
        on_layer = geometry.intersect(selection_bounds, layer_rect)
        if on_layer.width <= 0 or on_layer.height <= 0:
            on_layer = None
    if action in ("insert", "remove"):
        if selection_bounds is None:
            raise HostError("%s needs a selection: select the area to change (for example with the "
                            "Free Select tool), then run it again." % title)
        if on_layer is None:
            raise HostError("%s: the selection does not touch the active layer. Select an area on "
                            "the layer, or pick the layer under the selection." % title)
        bleed = int(operation.get("grow", 0)) + int(operation.get("feather", 0))
        rect = geometry.region_of_interest(on_layer, bleed, int(operation.get("context", 0)), layer_rect)
        return InputPlan(rect, True, True, False)
    if action == "outpaint":
        # The whole canvas, transparent where the layer does not reach: the new area is placed
        # around the canvas, so the worker must see the canvas, not just the layer.
        return InputPlan(canvas_rect, True, False, True)
    if action in ("upscale", "describe"):
        return InputPlan(on_layer or layer_rect, True, False, False)
    if action == "edit" and on_layer is not None:
        # the worker edits the selected rectangle and blends back through the selection
        return InputPlan(on_layer, True, True, False)
    # background (and edit without a selection): the whole layer; a selection marks the subject.
    return InputPlan(layer_rect, True, on_layer is not None, False)


# ---------------------------------------------------------------------------------------------
# Job folder and worker
# ---------------------------------------------------------------------------------------------

def repo_root(entry_file):
    # type: (str) -> str
    """The repository of an entry file that may be a symlink in GIMP's plug-in folder."""
    return os.path.dirname(os.path.realpath(entry_file))


def worker_python(repo, environ=None):
    # type: (str, dict) -> str
    """The project's venv interpreter (IMAGEN_GIMP_PYTHON overrides); HostError when missing."""
    environ = os.environ if environ is None else environ
    explicit = environ.get("IMAGEN_GIMP_PYTHON")
    if explicit:
        return explicit
    for relative in (os.path.join(".venv", "bin", "python"), os.path.join(".venv", "Scripts", "python.exe")):
        candidate = os.path.join(repo, relative)
        if os.path.exists(candidate):
            return candidate
    raise HostError("The plug-in's Python environment is missing (%s). Run install.sh in %s, "
                    "then restart GIMP." % (os.path.join(repo, ".venv"), repo))


def make_job(operation, width, height, origin, pixels, selection, references=None):
    # type: (dict, int, int, tuple, bytes, bytes, list) -> str
    """A new job folder in the temp dir holding the job; the caller removes it (remove_job).

    First removes the folders of jobs whose plug-in died (sweep_stale_jobs): GIMP's Cancel
    SIGKILLs the plug-in, which then cannot remove its own folder (a copy of the user's pixels).
    The new folder's lock is held until remove_job, so no other job's sweep takes it away.
    """
    if not keep_jobs():
        sweep_stale_jobs()
    folder = tempfile.mkdtemp(prefix=JOB_PREFIX)
    try:
        _hold_lock(folder)
        jobfiles.write_job(folder, operation, width, height, origin, pixels, selection, references)
    except Exception:
        remove_job(folder)
        raise
    return folder


def remove_job(folder):
    # type: (str) -> None
    """Remove a job folder and release its lock; IMAGEN_GIMP_KEEP_JOBS keeps it (without a lock
    file, so no sweep removes it either)."""
    if not folder:
        return
    try:
        if os.path.isdir(folder):
            if keep_jobs():
                _remove_file(os.path.join(folder, jobfiles.LOCK_FILE))
            else:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        handle = _LOCKS.pop(folder, None)
        if handle is not None:
            os.close(handle)


def keep_jobs():
    # type: () -> bool
    """IMAGEN_GIMP_KEEP_JOBS (debugging, benchmarks): job folders stay in the temp dir."""
    return bool(os.environ.get("IMAGEN_GIMP_KEEP_JOBS"))


_LOCKS = {}  # type: dict
"""Job folder -> descriptor of its lock file, locked, for the jobs of this process."""
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _hold_lock(folder):
    # type: (str) -> None
    """Hold an exclusive flock on the folder's lock file for the life of this process or the job.

    The file is made and locked under another name, then renamed: a sweep never sees it unlocked.
    When locking fails (a file system without flock), the job runs without a lock file, as before
    locks existed: no sweep touches such a folder. Under Python 2.7 the worker inherits the
    descriptor, which only keeps the folder locked while the worker too is alive.
    """
    if fcntl is None:
        return
    making = os.path.join(folder, jobfiles.LOCK_FILE + ".new")
    handle = None
    try:
        handle = os.open(making, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(making, os.path.join(folder, jobfiles.LOCK_FILE))
    except (IOError, OSError) as exc:
        _log("cannot lock the job folder %s (%s); it is removed when the job ends" % (folder, exc))
        if handle is not None:
            os.close(handle)
        _remove_file(making)
        return
    _LOCKS[folder] = handle


def sweep_stale_jobs(directory=None):
    # type: (str) -> list
    """Remove job folders nobody works on any more, in `directory` (the temp dir); returns them.

    Removed: directories (never symlinks) named imagen-gimp-*, owned by this user, with a lock
    file nobody holds, i.e. their plug-in ended without removing them (GIMP's Cancel kills it).
    Left alone: a folder whose lock is held (a job running in this or another GIMP), one without
    a lock file (being made, kept by IMAGEN_GIMP_KEEP_JOBS, or from an older version), anything
    else. Never raises: a failure is logged and the job goes on.
    """
    if fcntl is None:
        return []
    removed = []
    try:
        directory = directory or tempfile.gettempdir()
        names = sorted(name for name in os.listdir(directory) if name.startswith(JOB_PREFIX))
    except Exception as exc:
        _log("cannot look for old job folders: %s" % exc)
        return removed
    for name in names:
        path = os.path.join(directory, name)
        try:
            if _remove_if_stale(path):
                removed.append(path)
        except Exception as exc:
            _log("cannot remove the old job folder %s: %s" % (path, exc))
    return removed


def _remove_if_stale(path):
    # type: (str) -> bool
    try:
        info = os.lstat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:  # another sweep was faster
            return False
        raise
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return False  # a symlink, a file, another user's folder: not ours to remove
    lock_path = os.path.join(path, jobfiles.LOCK_FILE)
    try:
        handle = os.open(lock_path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return False  # no lock file: being made, kept, or made before locks existed
        raise
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return False
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (IOError, OSError) as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False  # held: the job is running
            raise
        try:
            same = os.lstat(lock_path).st_ino == os.fstat(handle).st_ino
        except OSError:
            same = False
        if not same:  # another sweep removed the folder while we waited for the lock
            return False
        for name in os.listdir(path):  # the lock file last: a removal that fails half-way is retried
            if name != jobfiles.LOCK_FILE:
                entry = os.path.join(path, name)
                if os.path.isdir(entry) and not os.path.islink(entry):
                    shutil.rmtree(entry)
                else:
                    os.remove(entry)
        os.remove(lock_path)
        os.rmdir(path)
        return True
    finally:
        os.close(handle)


def _remove_file(path):
    # type: (str) -> None
    try:
        os.remove(path)
    except OSError:
        pass


def _log(text):
    # type: (str) -> None
    """A line on the plug-in's stderr (GIMP's terminal or error console); never raises."""
    try:
        sys.stderr.write("imagen-gimp: %s\n" % text)
        sys.stderr.flush()
    except Exception:
        pass


WorkerOutcome = collections.namedtuple("WorkerOutcome", "returncode error kind cancelled log seconds")


SETUP_PROCEDURE = PROC_PREFIX + "check-setup"
SETUP_LABEL = "_Check Setup..."
SETUP_BLURB = ("Check what the plug-in needs: Python, the worker, GIMP's folders, Google Cloud credentials, "
               "project, Vertex AI and its models; each problem with its fix")


def check_setup(repo, timeout=180):
    # type: (str, float) -> tuple
    """Run `python -m plugin.doctor` in the project's venv: (report text, True when all passed).

    The checks run outside GIMP's Python (which has neither the Google client nor NumPy); they
    print no secret and make no picture. A missing venv is itself the first problem to report.
    """
    try:
        python = worker_python(repo)
    except HostError as exc:
        return "PROBLEM Python: %s" % exc, False
    env = dict(os.environ)
    env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        process = subprocess.Popen([python, "-m", "plugin.doctor"], cwd=repo, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
    except OSError as exc:
        return "PROBLEM worker: cannot start %s (%s). Fix: run install.sh in %s" % (python, exc, repo), False
    deadline = time.time() + timeout
    while process.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    if process.poll() is None:
        process.kill()
        process.wait()
        return "PROBLEM Check Setup did not finish within %d s (a network check hung?)." % timeout, False
    text = process.stdout.read().decode("utf-8", "replace").strip()
    process.stdout.close()
    return text, process.returncode == 0


def worker_command(python, folder):
    # type: (str, str) -> list
    return [python, "-m", "plugin.worker", folder]


def run_worker(python, repo, folder, on_progress=None, command=None):
    # type: (str, str, str, object, list) -> WorkerOutcome
    """Run the worker on a job folder, passing its progress lines to on_progress(fraction, stage).

    on_progress returning False cancels: the worker is killed and the outcome says cancelled.
    The worker's stderr goes to worker.log in the job folder (no pipe to fill up).
    """
    command = command or worker_command(python, folder)
    env = dict(os.environ)
    env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    log_path = os.path.join(folder, WORKER_LOG)
    started = time.time()
    error = None
    kind = None
    cancelled = False
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=repo, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=log, preexec_fn=_die_with_parent if os.name == "posix" else None)
        try:
            for raw in iter(process.stdout.readline, b""):
                message = jobfiles.parse_message(raw.decode("utf-8", "replace"))
                if "error" in message:
                    error = _text(message["error"])
                    kind = message.get("kind")
                elif "progress" in message and on_progress is not None:
                    if on_progress(float(message["progress"]), _text(message.get("stage", ""))) is False:
                        cancelled = True
                        process.kill()
                        break
        finally:
            process.stdout.close()
            if process.stdin:
                process.stdin.close()
            if process.poll() is None and cancelled:
                process.kill()
            returncode = process.wait()
    with open(log_path, "rb") as log:
        text = log.read().decode("utf-8", "replace")
    return WorkerOutcome(returncode, error, kind, cancelled, text, time.time() - started)


def _die_with_parent():
    # type: () -> None
    """Linux: the worker dies when GIMP kills the plug-in (its cancel), so no orphan keeps working."""
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL(None)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux or no prctl: the worker still ends when its stdin closes
        pass


def outcome_error(title, outcome):
    # type: (str, WorkerOutcome) -> str
    """The message to show for a worker that did not succeed; None when it succeeded."""
    if outcome.cancelled:
        return "%s was cancelled; the image was not changed." % title
    if outcome.returncode == jobfiles.EXIT_OK and not outcome.error:
        return None
    if outcome.returncode == jobfiles.EXIT_USER:
        message = outcome.error or "the worker stopped without saying why"
        hint = ""
        if outcome.kind in ("config", "ConfigError"):
            hint = " Check the settings (README, 'Credentials')."
        message = message.strip()
        if message[-1:] not in (".", "!", "?"):
            message += "."
        return "%s: %s%s The image was not changed." % (title, message, hint)
    tail = "\n".join(outcome.log.strip().splitlines()[-6:])
    return ("%s failed: the worker crashed (exit code %s). The image was not changed. This is a bug; "
            "please report it with these lines:\n%s" % (title, outcome.returncode, tail))


def kept_after_error(outcome, result):
    # type: (WorkerOutcome, dict) -> bool
    """True when the worker stopped on a problem it understood after finishing some variations.

    Those layers are complete (the worker writes each before listing it), so they are pasted
    rather than thrown away; a cancel or a crash pastes nothing.
    """
    return (outcome.returncode == jobfiles.EXIT_USER and not outcome.cancelled
            and bool(result.get("layers")))


def partial_note(outcome, result, operation):
    # type: (WorkerOutcome, dict, dict) -> str
    """What to tell the user when only some variations came back."""
    made = len(result.get("layers", []))
    wanted = operation.get("variations", made) or made
    reason = (outcome.error or "the worker stopped without saying why").strip()
    return "only %d of %d variations were made, then: %s" % (made, wanted, reason)


def command_override(python, folder, environ=None):
    # type: (str, str, dict) -> list
    """IMAGEN_GIMP_WORKER_MODULE swaps the worker module (tests inject faults this way)."""
    module = (os.environ if environ is None else environ).get("IMAGEN_GIMP_WORKER_MODULE")
    return [python, "-m", module, folder] if module else None


def run_job(action, values, host, repo, mark=None):
    # type: (str, dict, object, str, object) -> tuple
    """Everything of one call up to the paste: read through `host`, run the worker, plan the layers.

    host gives canvas_size() (None: no image), layer_rect() (None: no layer), selection_bounds(),
    read_pixels(rect, transparent_outside), read_selection(rect), progress(fraction or None, text)
    and message(text); for reference layers also selected_layer_names(), layer_names() (every
    layer of the image, groups included) and read_layer(name) -> (width, height, RGBA bytes).
    mark(stage), if given, is called after each stage (timings). Returns
    (PastePlan, job folder); the caller removes the folder after pasting. HostError when the call
    cannot go on: nothing in the image was touched.
    """
    mark = mark or (lambda stage: None)
    title = TITLES[action]
    size = host.canvas_size()
    operation = build_operation(action, values, size)
    host.progress(None, u"%s: reading the picture" % title)
    python = worker_python(repo)
    rect, pixels, selection = geometry.Rect(0, 0, 0, 0), None, None
    layer_rect = host.layer_rect()
    if layer_rect is not None:
        plan = plan_input(action, operation, layer_rect, geometry.Rect(0, 0, size[0], size[1]),
                          host.selection_bounds())
        if plan.read_pixels:
            rect = plan.rect
            pixels = host.read_pixels(rect, plan.transparent_outside)
            selection = host.read_selection(rect) if plan.read_selection else None
    references = read_references(action, operation, values, host)
    mark("read")
    folder = make_job(operation, rect.width, rect.height, (rect.x, rect.y), pixels, selection, references)
    mark("job folder")
    try:
        host.progress(0.05, None)

        def on_progress(fraction, stage):
            # type: (float, str) -> bool
            host.progress(progress_fraction(fraction), u"%s: %s" % (title, stage) if stage else None)
            return True

        outcome = warm_client.run_worker(python, repo, folder, on_progress, command_override(python, folder),
                                         cold=run_worker, mark=mark,
                                         note=lambda text: host.message(u"%s: %s" % (title, text)))
        mark("worker")
        error = outcome_error(title, outcome)
        result = jobfiles.read_result(folder)
        if error and not kept_after_error(outcome, result):
            raise HostError(error)
        paste = plan_paste(action, operation, folder, result, (rect.x, rect.y),
                           into_image=bool(values.get("into-image")))
        if error:
            paste.notes.append(partial_note(outcome, result, operation))
    except Exception:
        remove_job(folder)
        raise
    host.progress(0.9, u"%s: adding the layers" % title)
    for note in paste.notes:
        host.message(u"%s: %s" % (title, note))
    return paste, folder


# ---------------------------------------------------------------------------------------------
# Reference layers (Generate from References)
# ---------------------------------------------------------------------------------------------

def read_references(action, operation, values, host):
    # type: (str, dict, dict, object) -> list
    """The reference layers' whole pixels as (width, height, RGBA); the worker scales them down.

    Also records the names in operation["reference_layers"], so the provenance says which layers
    guided the picture. Checks come first: a wrong name costs no reading.
    """
    if action != "customize":
        return []
    names = reference_names(operation.get("kind", "subject"), values.get("reference-layers"),
                            host.selected_layer_names(), host.layer_names())
    operation["reference_layers"] = names
    host.progress(None, u"%s: reading %s" % (TITLES[action], ", ".join(names)))
    return [host.read_layer(name) for name in names]


def reference_names(kind, typed, selected, available):
    # type: (str, object, list, list) -> list
    """The layers to use: those whose names are typed, else the layers selected in the Layers dialog.

    Typing names works the same in both GIMPs and in scripts; selecting (several with Ctrl in
    GIMP 3) needs no typing. HostError, before anything is read, for unknown names or too many.
    """
    title = TITLES["customize"]
    names = split_names(typed, tuple(available))
    unknown = [name for name in names if name not in available]
    if unknown:
        shown = ", ".join("'%s'" % name for name in available[:12]) + (", ..." if len(available) > 12 else "")
        raise HostError("%s: the image has no layer called %s. Type the names as the Layers dialog shows "
                        "them, separated by commas (layers here: %s)." % (
                            title, " or ".join("'%s'" % name for name in unknown), shown))
    if not names:
        names = [name for index, name in enumerate(selected) if name not in selected[:index]]
    if not names:
        raise HostError("%s needs a reference: select the layer in the Layers dialog, or type layer names "
                        "under 'Reference layers'." % title)
    limit = MAX_REFERENCES if kind == "subject" else 1
    if len(names) > limit:
        what = "a subject takes at most %d layers" % limit if kind == "subject" else (
            "%s reference is one layer" % ("an edge" if kind == "canny" else "a " + kind))
        raise HostError("%s: %s, and %d were chosen (%s). Select fewer layers, or type fewer names." % (
            title, what, len(names), ", ".join(names)))
    return names


# ---------------------------------------------------------------------------------------------
# What a host hands over: targets, pixels, values (GIMP 2.10 needs these; GIMP 3 may use them)
# ---------------------------------------------------------------------------------------------

def check_target(action, has_image, one_layer, into_image=False):
    # type: (str, bool, bool, bool) -> None
    """HostError unless the call has what the action works on: an open image and exactly one layer."""
    title = TITLES[action]
    if PROCEDURE_BY_ACTION[action].needs_image:
        if not has_image:
            raise HostError("%s needs an open image." % title)
        if not one_layer and action != "customize":  # references: any layers, chosen by name or selection
            raise HostError("%s works on one layer: select exactly one layer in the Layers dialog." % title)
    elif into_image and not has_image:
        raise HostError("Generate Image: 'Add to the current image' needs an open image.")


def pad_region(data, inner, outer, bpp):
    # type: (bytes, Rect, Rect, int) -> bytes
    """inner's rows placed in a zero-filled outer (same coordinates): transparent / unselected outside.

    For hosts that can read only where a drawable has pixels (GIMP 2.10's pixel regions) while the
    job wants the whole planned rectangle.
    """
    if tuple(inner) == tuple(outer):
        return data
    out = bytearray(outer.width * outer.height * bpp)
    row_bytes = inner.width * bpp
    if row_bytes > 0:
        dx = (inner.x - outer.x) * bpp
        for row in range(inner.height):
            start = (inner.y - outer.y + row) * outer.width * bpp + dx
            out[start:start + row_bytes] = data[row * row_bytes:(row + 1) * row_bytes]
    return bytes(out)


def to_rgba(data, bpp):
    # type: (bytes, int) -> bytes
    """8-bit RGB, gray or gray+alpha pixels as RGBA: GIMP 2.10 pixel regions give the layer's own format.

    Slice copies, so a megapixel takes milliseconds even in Python 2.7.
    """
    if bpp == 4:
        return data
    if bpp not in (1, 2, 3):
        raise ValueError("cannot read %d bytes per pixel (indexed images are not supported)" % bpp)
    source = bytearray(data)
    out = bytearray(b"\xff" * (len(source) // bpp * 4))
    if bpp == 3:
        for channel in range(3):
            out[channel::4] = source[channel::3]
    else:
        gray = source[0::bpp]
        for channel in range(3):
            out[channel::4] = gray
        if bpp == 2:
            out[3::4] = source[1::2]
    return bytes(out)


def from_rgba(data, bpp):
    # type: (bytes, int) -> bytes
    """RGBA as bpp bytes per pixel, for writing a GIMP 2.10 layer of that type (gray: Rec. 601 luma)."""
    if bpp == 4:
        return data
    source = bytearray(data)
    if bpp == 3:
        out = bytearray(len(source) // 4 * 3)
        for channel in range(3):
            out[channel::3] = source[channel::4]
        return bytes(out)
    luma = bytearray((r * 77 + g * 150 + b * 29 + 128) >> 8
                     for r, g, b in zip(source[0::4], source[1::4], source[2::4]))  # noqa: B905
    if bpp == 1:
        return bytes(luma)
    out = bytearray(len(luma) * 2)
    out[0::2] = luma
    out[1::2] = source[3::4]
    return bytes(out)


def hex_rgb(text):
    # type: (str) -> tuple
    """'#rrggbb' as (r, g, b) 0-255: the form GIMP 2.10's PF_COLOR default takes."""
    text = text.lstrip("#")
    return tuple(int(text[i:i + 2], 16) for i in (0, 2, 4))


def color_hex(value, default):
    # type: (object, str) -> str
    """A colour as '#rrggbb' from what hosts hand over: '#hex', (r, g, b) as 0-255 or 0-1, or .r/.g/.b."""
    if value is None:
        return default
    if isinstance(value, (bytes, type(u""))):
        return to_unicode(value)
    if hasattr(value, "r"):
        channels = (value.r, value.g, value.b)
    else:
        channels = tuple(value)[:3]
    if all(isinstance(c, int) for c in channels):
        ints = channels
    else:
        ints = [int(round(float(c) * 255)) for c in channels]
    return u"#%02x%02x%02x" % tuple(max(0, min(255, c)) for c in ints)


def choice_nick(param, raw):
    # type: (Param, object) -> str
    """A choice argument as its nick, from an index (GIMP 2.10's PF_OPTION) or the nick itself."""
    if isinstance(raw, (bytes, type(u""))):
        return to_unicode(raw)
    index = int(raw)
    if not 0 <= index < len(param.extra):
        raise HostError("%s: choice %d is not between 0 and %d" % (param.name, index, len(param.extra) - 1))
    return param.extra[index][0]


def to_unicode(value):
    # type: (object) -> str
    """Text as unicode, also from Python 2's byte strings (GIMP 2.10's UTF-8 str, which _text keeps)."""
    if value is None:
        return u""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, type(u"")):
        return value
    return type(u"")(value)


def native_str(text):
    # type: (str) -> str
    """Text as the host's str: UTF-8 bytes on Python 2 (pygimp would encode unicode as ASCII), str on 3."""
    if isinstance(text, bytes) and bytes is not str:
        return text.decode("utf-8", "replace")
    if isinstance(text, type(u"")) and bytes is str:
        return text.encode("utf-8")
    return text


# ---------------------------------------------------------------------------------------------
# Results -> what to paste
# ---------------------------------------------------------------------------------------------

LayerPlan = collections.namedtuple("LayerPlan",
                                   "name x y width height pixels_path mask_path visible parasite")
PastePlan = collections.namedtuple("PastePlan", "target group_name layers canvas size texts notes")
"""target: "layers" (into the image), "new-image" (generate, customize, upscale) or "text" (describe,
verify);
canvas: (left, top, right, bottom) to grow the canvas by first, or None; size: new image size."""


def group_name(action, operation, result):
    # type: (str, dict, dict) -> str
    if result.get("group"):
        return _text(result["group"])
    prompt = (operation.get("prompt") or "").strip().replace("\n", " ")
    if len(prompt) > 40:
        prompt = prompt[:39] + u"\u2026"
    title = TITLES.get(action, action)
    return "%s: %s" % (title, prompt) if prompt else title


def provenance_payload(provenance):
    # type: (dict) -> bytes
    """The parasite data: compact JSON, with anything that looks like a secret dropped."""
    clean = dict((k, v) for k, v in (provenance or {}).items()
                 if not any(word in k.lower() for word in SECRET_WORDS))
    clean.setdefault("plugin_version", PLUGIN_VERSION)
    return json.dumps(clean, sort_keys=True, separators=(",", ":")).encode("utf-8")


def plan_paste(action, operation, folder, result, origin, into_image=False):
    # type: (str, dict, str, dict, tuple, bool) -> PastePlan
    """Turn result.json into layers at image coordinates; the first layer visible, the rest hidden."""
    layers = []
    new_image = action == "upscale" or (action in NEW_IMAGE_ACTIONS and not into_image)
    for index, layer in enumerate(result.get("layers", [])):
        x = int(layer.get("x", 0)) + int(origin[0])
        y = int(layer.get("y", 0)) + int(origin[1])
        if new_image or action in NEW_IMAGE_ACTIONS:
            x, y = 0, 0
        provenance = dict(layer.get("provenance") or {})
        provenance.setdefault("action", action)
        name = layer.get("name") or "%s #%d" % (TITLES.get(action, action), index + 1)
        mask = os.path.join(folder, layer["mask"]) if layer.get("mask") else None
        layers.append(LayerPlan(_text(name), x, y, int(layer["width"]), int(layer["height"]),
                                os.path.join(folder, layer["pixels"]), mask, index == 0,
                                provenance_payload(provenance)))
    texts = [_text(t) for t in result.get("texts", [])]
    notes = [_text(n) for n in result.get("notes", [])]
    canvas = result.get("canvas")
    canvas = tuple(int(v) for v in canvas) if canvas else None
    if action in TEXT_ACTIONS:
        return PastePlan("text", None, [], None, None, texts, notes)
    if not layers:
        raise HostError("%s: the worker returned no picture. The image was not changed." % TITLES[action])
    size = None
    target = "layers"
    if new_image:
        target = "new-image"
        size = (max(item.width for item in layers), max(item.height for item in layers))
    return PastePlan(target, group_name(action, operation, result), layers, canvas, size, texts, notes)


def read_file(path):
    # type: (str) -> bytes
    with open(path, "rb") as handle:
        return handle.read()


def progress_fraction(fraction):
    # type: (float) -> float
    """Worker progress mapped into the bar: 5% for reading, 85% for the worker, 10% for pasting."""
    return 0.05 + 0.85 * max(0.0, min(1.0, fraction))


def describe_text(title, texts):
    # type: (str, list) -> str
    if not texts:
        return "%s: no description came back." % title
    if len(texts) == 1:
        return texts[0]
    return "\n\n".join("%d. %s" % (i + 1, t) for i, t in enumerate(texts))

