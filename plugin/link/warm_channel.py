"""The private channel between a plug-in call and the warm worker: where it lives, who may use it, framing.

Both ends import this file: the client in GIMP's own Python (3.x for GIMP 3, 2.7 for GIMP 2.10, and
the CLI's venv) and the server (plugin/link/warm_server.py, the venv). So: standard library only, Python 2.7
syntax, type comments.

A worker serves one GIMP instance with one set of import-time settings (worker_key). Its files sit in a
folder only this user can enter (mode 0700, owned by us, not a symlink; anything else is refused, since
whoever can reach the socket can make the worker read and write files as us):
    w-KEY.sock   the Unix socket (no TCP port anywhere)
    w-KEY.lock   flock held by the live server for its whole life (so "starting" can be told from "dead")
    w-KEY.start  flock held by a client while it starts a server (one start at a time)
    w-KEY.pid    {"pid", "start"} of the server, to kill a hung one without hitting a reused pid
    w-KEY.log    the server's own stderr (a job's stderr goes to its job folder's worker.log)
Messages are JSON objects, one per line, both ways.
"""
# ruff: noqa: UP003, UP010, UP025, UP031, B904  (Python 2.7 syntax: no `raise from`)

from __future__ import absolute_import, division

import errno
import hashlib
import json
import os
import socket
import stat
import tempfile

PROTOCOL = 1
"""Bumped when the messages change; part of the key, so an old server is never asked in a new way."""
IMPORT_TIME_PREFIXES = ("PYTHON", "NUMBA_", "OMP_", "OPENBLAS_", "MKL_", "TBB_", "OPENCV_", "LD_", "NUMEXPR_")
"""Environment variables read when the libraries are imported, which a job's environment cannot change
afterwards in a warm process: a worker is keyed by them. Everything else travels with each job."""
MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux, 104 on macOS
IO_ERRORS = (IOError, OSError)
"""What I/O can raise in both Pythons: under 2.7, open(), socket.error and fcntl.flock's failures are
IOError, which is not an OSError (Python 3 made them one class)."""
TIMEOUT = socket.timeout
"""A socket's time-out: 2.7 has no TimeoutError (3.10 made socket.timeout its alias). In 2.7 it is an
IOError too, so it is caught before IO_ERRORS."""


class ChannelError(Exception):
    """The warm worker cannot be used (unsafe folder, no AF_UNIX, cannot start): the call runs cold."""


def available():
    # type: () -> bool
    return hasattr(socket, "AF_UNIX") and os.name == "posix"


def socket_folder(environ=None):
    # type: (dict) -> str
    """$XDG_RUNTIME_DIR/imagen-gimp (a per-user tmpfs on most Linux desktops), else /tmp/imagen-gimp.UID.

    Made 0700 when missing; ChannelError when it exists but another user owns it, others may enter it,
    or it is a symlink (someone prepared it for us: refuse, never repair).
    """
    environ = os.environ if environ is None else environ
    runtime = environ.get("XDG_RUNTIME_DIR")
    candidates = []
    if runtime and os.path.isabs(runtime):
        candidates.append(os.path.join(runtime, "imagen-gimp"))  # a job's TMPDIR is no place: it varies
    shared = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()  # not TMPDIR: one place per user
    candidates.append(os.path.join(shared, "imagen-gimp.%d" % os.getuid()))
    for folder in candidates:
        if len(folder) + 24 <= MAX_SOCKET_PATH:
            secure_folder(folder)
            return folder
    raise ChannelError("no folder for the worker's socket has a short enough path: %s" % candidates[-1])


def secure_folder(folder):
    # type: (str) -> None
    """Make `folder` (mode 0700) or check an existing one is ours alone; ChannelError otherwise."""
    try:
        os.mkdir(folder, 0o700)
    except OSError as exc:
        if exc.errno != errno.EEXIST:
            raise ChannelError("cannot make %s: %s" % (folder, exc))
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise ChannelError("%s is not a folder (a symlink or file); remove it" % folder)
    if info.st_uid != os.getuid():
        raise ChannelError("%s belongs to another user; the worker's socket cannot go there" % folder)
    if info.st_mode & 0o077:
        raise ChannelError("%s can be entered by other users (mode %o); it must be 0700"
                           % (folder, stat.S_IMODE(info.st_mode)))


def worker_key(repo, python, owner_pid, owner_start, environ=None):
    # type: (str, str, int, str, dict) -> str
    """Which worker serves a call: one per installation, interpreter, GIMP instance and import-time settings."""
    environ = os.environ if environ is None else environ
    parts = [str(PROTOCOL), os.path.realpath(repo), python, str(owner_pid), str(owner_start)]
    parts += sorted("%s=%s" % (k, v) for k, v in environ.items() if k.startswith(IMPORT_TIME_PREFIXES))
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:20]


class Paths(object):
    """The files of one worker (see the module docstring)."""

    def __init__(self, folder, key):
        # type: (str, str) -> None
        self.folder = folder
        self.key = key
        base = os.path.join(folder, "w-" + key)
        self.socket = base + ".sock"
        self.lock = base + ".lock"
        self.start = base + ".start"
        self.pid = base + ".pid"
        self.log = base + ".log"


def process_start(pid):
    # type: (int) -> str
    """When process `pid` started (clock ticks since boot, from /proc), so a reused pid is not taken
    for the process we knew; "" where /proc is missing (then only "alive" can be checked)."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            text = handle.read()
    except IO_ERRORS:
        return ""
    fields = text.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


def is_alive(pid, start):
    # type: (int, str) -> bool
    """Is the process `pid` that started at `start` still there (not a zombie, not a newer process)?"""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        if exc.errno != errno.EPERM:
            return False
    now = process_start(pid)
    if not now:
        return not os.path.isdir("/proc")  # no /proc: alive is all we can know
    if start and now != start:
        return False
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
    except IO_ERRORS:
        return False


def send(sock, message):
    # type: (socket.socket, dict) -> None
    sock.sendall((json.dumps(message) + "\n").encode("utf-8"))


class LineReader(object):
    """JSON messages from a socket, one per line; read() -> dict, or None at the end of the stream."""

    def __init__(self, sock):
        # type: (socket.socket) -> None
        self.sock = sock
        self.buffer = b""

    def read(self):
        # type: () -> dict
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            message = json.loads(line.decode("utf-8", "replace"))
        except ValueError:
            return {"log": line.decode("utf-8", "replace")}
        return message if isinstance(message, dict) else {"log": line.decode("utf-8", "replace")}


def read_record(path):
    # type: (str) -> dict
    """A small JSON file (the pid record); {} when missing or half written."""
    try:
        with open(path) as handle:
            data = json.load(handle)
    except IO_ERRORS + (ValueError,):
        return {}
    return data if isinstance(data, dict) else {}


def remove_quietly(path):
    # type: (str) -> None
    try:
        os.remove(path)
    except OSError:
        pass
