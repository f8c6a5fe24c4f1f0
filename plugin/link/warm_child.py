"""One job in a child forked by the warm worker (plugin/link/warm_server.py), made to look like a cold worker.

A cold worker is `python -m plugin.link.worker FOLDER` with the plug-in's environment, stdout to the host and
stderr to FOLDER/worker.log. The child recreates exactly that: the job's environment replaces the
server's, stdout is the client's connection, stderr the job's log, and it runs plugin.link.worker.main. It is
the leader of its own process group, so a cancel kills whatever it started too, and it dies with the
server (parent-death signal), so a killed server leaves no job running.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
import tempfile
import time
import traceback

from plugin.link import jobfiles

WORKER_LOG = "worker.log"  # the name the host reads (plugin/link/worker_client.py WORKER_LOG)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def run_child(conn: socket.socket, request: dict, repo: str, inherited: list[int]) -> None:
    """Run the job of `request` ({"job": folder, "env": {...}}) and exit with its code; never returns.

    `inherited` are the server's descriptors (listener, selector, other clients' connections) to close,
    so no other client's hang-up is hidden by a copy held here.
    """
    code = jobfiles.EXIT_BUG
    try:
        os.setpgid(0, 0)
        _die_with_parent()
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(number, signal.SIG_DFL)
        for fd in inherited:
            try:
                os.close(fd)
            except OSError:
                pass
        folder = str(request["job"])
        log = os.open(os.path.join(folder, WORKER_LOG), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW, 0o600)
        os.dup2(log, 2)
        os.close(log)
        os.dup2(conn.fileno(), 1)
        conn.detach()
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in (request.get("env") or {}).items()})
        tempfile.tempdir = None  # gettempdir() caches; TMPDIR is the job's now
        os.chdir(repo)
        sys.argv = [os.path.join(repo, "plugin", "worker.py"), folder]
        from plugin.link import worker

        worker.STARTED = time.perf_counter()
        code = worker.main([folder])
    except BaseException:  # noqa: BLE001 - anything: report it as the cold worker would, then exit
        traceback.print_exc()
        code = jobfiles.EXIT_BUG
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - the client hung up: nothing more to say
                pass
        os._exit(code)


def _die_with_parent() -> None:
    """Linux: SIGKILL when the warm server dies, so no job outlives it (elsewhere the server kills it)."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
