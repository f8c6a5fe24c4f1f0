"""Hand a job folder to the warm worker (plugin/link/warm_server.py) instead of starting a Python of its own.

Runs in GIMP's Python (3.x, and 2.7 for GIMP 2.10) and in the CLI: standard library only, 2.7 syntax.
run_worker has the signature and result of the cold link/worker_client.run_worker, which it falls back to
when warm is off (IMAGEN_GIMP_WARM=0), the tests swap the worker module (IMAGEN_GIMP_WORKER_MODULE), or the
channel cannot be used (unsafe folder, no AF_UNIX, the server does not start): a call never fails
because the warm path does.

A worker serves one GIMP instance (its owner: the plug-in's parent, or IMAGEN_GIMP_WORKER_OWNER) and one
set of import-time variables (warm_channel.worker_key); the rest of the environment goes with each job,
and the job's child applies it. A dead worker (its socket refuses) or a hung one (no answer to the
request within IMAGEN_GIMP_WORKER_PING seconds, default 5) is replaced, and the call says so through
note(text).
"""
# ruff: noqa: UP003, UP010, UP025, UP031, B904  (Python 2.7 syntax: no `raise from`)

from __future__ import absolute_import, division

import errno
import os
import signal
import socket
import subprocess
import sys
import time

from plugin.link import jobfiles, jobs, warm_channel, worker_client
from plugin.link.warm_channel import IO_ERRORS, TIMEOUT, ChannelError
from plugin.link.worker_client import WORKER_LOG, WorkerOutcome

try:
    import fcntl
except ImportError:  # Windows: no warm worker
    fcntl = None

STOPPED_NOTE = "the background worker had stopped; a new one was started."
HUNG_NOTE = "the background worker did not answer; it was stopped and a new one was started."
LOST = "imagen-gimp: the background worker stopped during the job (its log is above)."
STARTUP_SECONDS = 90.0  # a first start on a cold disk cache imports for many seconds
OFF = ("0", "off", "no", "false")


def enabled(environ=None):
    # type: (dict) -> bool
    """IMAGEN_GIMP_WARM=0 turns the warm worker off (config.toml's warm_worker = false works in the worker)."""
    environ = os.environ if environ is None else environ
    return (environ.get("IMAGEN_GIMP_WARM") or "1").strip().lower() not in OFF and warm_channel.available() \
        and fcntl is not None


def run_worker(python, repo, folder, on_progress=None, command=None, cold=None, mark=None, note=None,
               environ=None):
    # type: (str, str, str, object, list, object, object, object, dict) -> tuple
    """Run the job in `folder` on the warm worker; `cold(python, repo, folder, on_progress, command)` otherwise
    (worker_client.run_worker unless given).

    on_progress(fraction, stage) returning False cancels (the worker kills the job's process at once);
    mark(stage) records timings ("worker connect": reaching the worker, starting it if need be; "worker
    queue": until the job's process runs); note(text) tells the user a worker was replaced.
    """
    environ = dict(os.environ if environ is None else environ)
    mark = mark or (lambda stage: None)
    cold = cold or worker_client.run_worker
    if command or not enabled(environ):
        return cold(python, repo, folder, on_progress, command)
    started = time.time()
    env = job_environment(environ, repo)
    try:
        link = Link(python, repo, env)
        link.open(folder)
    except IO_ERRORS + (ChannelError, ValueError) as exc:
        jobs.log("the background worker cannot be used (%s); this call starts a worker of its own" % exc)
        return cold(python, repo, folder, on_progress, command)
    mark("worker connect")
    for text in link.notes:
        jobs.log(text)
        if note is not None:
            note(text)
    return link.follow(folder, on_progress, started, mark)


def worker_up(python, repo, environ=None):
    # type: (str, str, dict) -> bool
    """A worker for this caller's key is already up: the command line then hands it the job. False when
    warm is off or the channel cannot be used."""
    environ = dict(os.environ if environ is None else environ)
    if not enabled(environ):
        return False
    try:
        return Link(python, repo, job_environment(environ, repo)).up()
    except IO_ERRORS + (ChannelError, ValueError):
        return False


def start_in_background(python, repo, environ=None):
    # type: (str, str, dict) -> None
    """Start this caller's worker without waiting for it to listen (the command line, after a call that ran
    in its own process, so that call is as quick as ever and the next one finds the worker). Never raises."""
    environ = dict(os.environ if environ is None else environ)
    if not enabled(environ):
        return
    try:
        link = Link(python, repo, job_environment(environ, repo))
        if not link.up():
            link.launch()
    except Exception as exc:  # a later call simply runs in its own process again
        jobs.log("the background worker was not started (%s)" % exc)


def job_environment(environ, repo):
    # type: (dict, str) -> dict
    """What the cold worker's environment would be (the job carries it to its child)."""
    return worker_client.worker_environment(repo, environ)


def owner_pid(environ):
    # type: (dict) -> int
    """The process whose end ends the worker: GIMP (the plug-in's parent) unless the environment says."""
    explicit = environ.get("IMAGEN_GIMP_WORKER_OWNER")
    return int(explicit) if explicit and explicit.isdigit() else os.getppid()


class Link(object):
    """One connection to the worker of this call's key, with the job handed over."""

    def __init__(self, python, repo, env):
        # type: (str, str, dict) -> None
        self.python, self.repo, self.env = python, repo, env
        self.owner = owner_pid(env)
        self.owner_start = warm_channel.process_start(self.owner)
        key = warm_channel.worker_key(repo, python, self.owner, self.owner_start, env)
        self.paths = warm_channel.Paths(warm_channel.socket_folder(env), key)
        self.ping = float(env.get("IMAGEN_GIMP_WORKER_PING") or 5.0)
        self.notes = []  # type: list
        self.sock = None  # type: socket.socket
        self.reader = None  # type: warm_channel.LineReader

    def open(self, folder):
        # type: (str) -> None
        """Connect (starting or replacing the worker as needed) and hand over the job; ChannelError if not."""
        request = {"job": folder, "env": self.env}
        for _attempt in range(3):
            sock = self.connect()
            try:
                warm_channel.send(sock, request)
                sock.settimeout(self.ping)
                reader = warm_channel.LineReader(sock)
                answer = reader.read()
            except TIMEOUT:
                answer = "hung"
            except IO_ERRORS:
                answer = None
            if isinstance(answer, dict) and "hello" in answer:
                sock.settimeout(None)
                self.sock, self.reader = sock, reader
                return
            sock.close()
            if answer == "hung":
                self.kill_recorded()
                self.add_note(HUNG_NOTE)
            elif isinstance(answer, dict) and answer.get("stale"):
                self.wait_until_gone(10.0)  # it exits; the next attempt starts a worker with the new files
        raise ChannelError("the background worker did not take the job")

    def connect(self):
        # type: () -> socket.socket
        sock = _connect(self.paths.socket)
        if sock is not None:
            return sock
        if _lock_held(self.paths.lock):  # starting (or exiting): wait for its socket or its end
            sock = self.wait_ready(None)
            if sock is not None:
                return sock
        return self.start()

    def start(self):
        # type: () -> socket.socket
        """Start a worker, one client at a time (the .start lock); a dead one's files first go."""
        handle = os.open(self.paths.start, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            sock = _connect(self.paths.socket)
            if sock is None and _lock_held(self.paths.lock):
                sock = self.wait_ready(None)
            if sock is not None:
                return sock
            if os.path.exists(self.paths.socket):
                self.add_note(STOPPED_NOTE)  # a server that exits cleanly removes it: this one died
            warm_channel.remove_quietly(self.paths.socket)
            warm_channel.remove_quietly(self.paths.pid)
            process = self.launch()
            sock = self.wait_ready(process) if process.returncode in (0, 3) else None
            if sock is None:
                raise ChannelError("the background worker did not start: %s" % _tail(self.paths.log))
            return sock
        finally:
            os.close(handle)

    def launch(self):
        # type: () -> object
        """Run the starter, which forks the server and exits at once: no GIMP or plug-in has it as a child."""
        command = [self.python, "-m", "plugin.link.warm_server", self.paths.folder, self.paths.key,
                   str(self.owner), self.owner_start, self.repo]
        devnull = open(os.devnull, "r+b")
        log = os.fdopen(os.open(self.paths.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
        try:
            options = {"start_new_session": True} if sys.version_info[0] >= 3 else {"preexec_fn": os.setsid}
            process = subprocess.Popen(command, cwd=self.repo, env=self.env, stdin=devnull, stdout=devnull,
                                       stderr=log, close_fds=True, **options)
        finally:
            devnull.close()
            log.close()
        process.wait()
        return process

    def up(self):
        # type: () -> bool
        """The worker of this key is alive (it holds its life lock), without handing it anything."""
        return _lock_held(self.paths.lock)

    def wait_ready(self, process):
        # type: (object) -> socket.socket
        """The socket once the worker listens; None when its life lock is free (it died or exited)."""
        deadline = time.time() + STARTUP_SECONDS
        grace = time.time() + 2.0  # the server takes the lock before the starter exits; this is slack
        while time.time() < deadline:
            sock = _connect(self.paths.socket)
            if sock is not None:
                return sock
            if not _lock_held(self.paths.lock) and (process is None or time.time() > grace):
                return None
            time.sleep(0.02)
        self.kill_recorded()
        return None

    def kill_recorded(self):
        # type: () -> None
        """SIGKILL the worker named in the pid file (if that very process still runs) and wait for its end."""
        record = warm_channel.read_record(self.paths.pid)
        pid, start = int(record.get("pid") or 0), str(record.get("start") or "")
        if warm_channel.is_alive(pid, start):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.wait_until_gone(10.0)
        warm_channel.remove_quietly(self.paths.socket)

    def wait_until_gone(self, seconds):
        # type: (float) -> None
        deadline = time.time() + seconds
        while _lock_held(self.paths.lock) and time.time() < deadline:
            time.sleep(0.02)

    def add_note(self, text):
        # type: (str) -> None
        if text not in self.notes:
            self.notes.append(text)

    def follow(self, folder, on_progress, started, mark):
        # type: (str, object, float, object) -> WorkerOutcome
        """Pass the job's messages on until the worker says how it exited; a cancel kills the job."""
        messages = worker_client.JobMessages(on_progress)
        returncode = None
        cancelled = False
        try:
            while True:
                message = self.reader.read()
                if message is None:
                    break
                if "exit" in message:
                    returncode = int(message["exit"])
                    break
                if "started" in message:
                    mark("worker queue")
                elif not messages.take(message):
                    cancelled = True
                    returncode = self.cancel()
                    break
        except IO_ERRORS:
            pass
        finally:
            self.sock.close()
        log = _read_log(folder)
        if returncode is None and not cancelled:
            returncode = jobfiles.EXIT_BUG  # the worker died under the job: a crash, with its log
            log = (log.rstrip() + "\n" + LOST).lstrip()
        return WorkerOutcome(returncode, messages.error, messages.kind, cancelled, log, time.time() - started)

    def cancel(self):
        # type: () -> int
        """Ask the worker to kill the job and wait (briefly) until it did, so nothing writes to the folder."""
        try:
            warm_channel.send(self.sock, {"cancel": True})
            self.sock.settimeout(5.0)
            while True:
                message = self.reader.read()
                if message is None or "exit" in message:
                    return int(message["exit"]) if message else -signal.SIGKILL
        except IO_ERRORS + (ValueError,):
            return -signal.SIGKILL


def _connect(path):
    # type: (str) -> socket.socket
    """A connected socket, or None when nobody listens there (no file, a dead server's file)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(2.0)
    try:
        sock.connect(path)
    except IO_ERRORS as exc:
        sock.close()
        if getattr(exc, "errno", None) in (errno.ENOENT, errno.ECONNREFUSED, errno.ENOTSOCK, errno.EAGAIN) \
                or isinstance(exc, socket.timeout):
            return None
        raise ChannelError("cannot reach the worker at %s: %s" % (path, exc))
    return sock


def _lock_held(path):
    # type: (str) -> bool
    """Does a live server hold its life lock (so it is starting, serving or exiting)?"""
    try:
        handle = os.open(path, os.O_RDONLY)
    except IO_ERRORS:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except IO_ERRORS:
        return True
    finally:
        os.close(handle)
    return False


def _read_log(folder):
    # type: (str) -> str
    try:
        with open(os.path.join(folder, WORKER_LOG), "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except IO_ERRORS:
        return ""


def _tail(path):
    # type: (str) -> str
    try:
        with open(path, "rb") as handle:
            lines = handle.read().decode("utf-8", "replace").strip().splitlines()
    except IO_ERRORS:
        return "no log"
    return " / ".join(lines[-3:]) or "no log"
