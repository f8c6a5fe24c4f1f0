"""The worker, run for one job: the project's venv Python on a job folder, its progress lines read as
they come, its outcome turned into the message a user sees; and Check Setup, run the same way.

GIMP's Python has neither NumPy nor the Google client, the venv has both. GIMP's Python (2.7 for
GIMP 2.10): standard library only, 2.7 syntax, type comments.
"""

from __future__ import absolute_import

import collections
import os
import subprocess
import time

from plugin import errors
from plugin.errors import HostError
from plugin.link import jobfiles
from plugin.link.jobfiles import text as as_text

WORKER_LOG = "worker.log"


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


WorkerOutcome = collections.namedtuple("WorkerOutcome", "returncode error kind cancelled log seconds")


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
    env = worker_environment(repo)
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


KEPT_PYTHON_VARIABLES = ("PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONFAULTHANDLER",
                         "PYTHONHASHSEED")
"""The caller's PYTHON* variables that reach the worker; the rest (PYTHONHOME, PYTHONPATH, PYTHONSTARTUP,
PYTHONUSERBASE, ...) belong to GIMP's own Python and would point the venv's Python 3 at GIMP's 2.7
library or at modules that are not ours."""
WORKER_PATH_VARIABLE = "IMAGEN_GIMP_WORKER_PATH"
"""Folders put after the repository on the worker's path: where a swapped worker module lives (tests)."""


def worker_environment(repo, environ=None):
    # type: (str, dict) -> dict
    """The environment a worker runs in, cold or warm: the caller's without its Python's own settings,
    with the repository (and IMAGEN_GIMP_WORKER_PATH) as the only PYTHONPATH."""
    env = dict((name, value) for name, value in (os.environ if environ is None else environ).items()
               if not name.startswith("PYTHON") or name in KEPT_PYTHON_VARIABLES)
    extra = env.get(WORKER_PATH_VARIABLE)
    env["PYTHONPATH"] = repo + (os.pathsep + extra if extra else "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


class JobMessages(object):
    """The worker's message lines as they come (the job protocol, plugin/link/jobfiles.py), for the cold and
    the warm run alike: the last error and its kind are kept, progress is passed to on_progress."""

    def __init__(self, on_progress):
        # type: (object) -> None
        self.on_progress = on_progress
        self.error = None  # type: str
        self.kind = None  # type: str

    def take(self, message):
        # type: (dict) -> bool
        """Read one message; False when on_progress asked to cancel."""
        if "error" in message:
            self.error = as_text(message["error"])
            self.kind = message.get("kind")
        elif "progress" in message and self.on_progress is not None:
            return self.on_progress(float(message["progress"]), as_text(message.get("stage", ""))) is not False
        return True


def worker_command(python, folder):
    # type: (str, str) -> list
    return [python, "-m", "plugin.link.worker", folder]


def run_worker(python, repo, folder, on_progress=None, command=None):
    # type: (str, str, str, object, list) -> WorkerOutcome
    """Run the worker on a job folder, passing its progress lines to on_progress(fraction, stage).

    on_progress returning False cancels: the worker is killed and the outcome says cancelled.
    The worker's stderr goes to worker.log in the job folder (no pipe to fill up).
    """
    command = command or worker_command(python, folder)
    log_path = os.path.join(folder, WORKER_LOG)
    started = time.time()
    messages = JobMessages(on_progress)
    cancelled = False
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=repo, env=worker_environment(repo), stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=log,
                                   preexec_fn=_die_with_parent if os.name == "posix" else None)
        try:
            for raw in iter(process.stdout.readline, b""):
                if not messages.take(jobfiles.parse_message(raw.decode("utf-8", "replace"))):
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
    return WorkerOutcome(returncode, messages.error, messages.kind, cancelled, text, time.time() - started)


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
    """The message to show for a worker that did not succeed; None when it succeeded.

    A problem the user can fix (exit 2 with a message of a kind the protocol names) is shown as it
    is. Anything else (a crash, a kind the protocol does not name) is a bug: the worker's log is
    kept in last-error.log and the message says it is not the user's doing.
    """
    if outcome.cancelled:
        return "%s was cancelled; the image was not changed." % title
    if outcome.returncode == jobfiles.EXIT_OK and not outcome.error:
        return None
    if users_to_fix(outcome):
        message = (outcome.error or "the worker stopped without saying why").strip()
        hint = " Check the settings (README, 'Credentials')." if outcome.kind == "config" else ""
        if message[-1:] not in (".", "!", "?"):
            message += "."
        return "%s: %s%s The image was not changed." % (title, message, hint)
    tail = "\n".join(outcome.log.strip().splitlines()[-6:])
    what = ("the worker stopped with an internal error (%s)" % outcome.error.strip().rstrip(".")
            if outcome.error else "the worker crashed (exit code %s)" % outcome.returncode)
    return errors.bug_message(title, what, errors.write_bug_log(outcome.log or what), tail)


def users_to_fix(outcome):
    # type: (WorkerOutcome) -> bool
    """The worker stopped on a problem the user can fix (or was cancelled), not on a bug."""
    return outcome.cancelled or (outcome.returncode == jobfiles.EXIT_USER and outcome.kind in errors.KINDS)


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
