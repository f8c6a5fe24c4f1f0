"""The warm worker: a fork server that keeps the heavy libraries imported and the engine's kernels loaded.

A cold call pays 1.2-1.5 s to start Python and import NumPy, SciPy, OpenCV, Numba and the Google
clients, and the first fill loads its compiled kernels. This process pays that once, then forks one
child per job. Why fork: the child starts with everything loaded, a crash or a cancel kills only the
child (never the warm parent), and its memory goes back to the system when it exits.

Fork safety: the parent imports but opens no HTTP client, credentials or thread pool of its own; the
Numba threading layer is pinned to a fork-safe one (TBB, else workqueue) before Numba is imported;
OpenCV is imported, never called. The kernels are warmed in a thread while no job runs, and no child is
forked until that thread is done (a fork never copies a half-held lock).

A job: a client connects to the socket (plugin/link/warm_channel.py), sends {"job": folder, "env": {...}},
gets {"hello": pid, "queued": n} at once (the ping), then the job's own JSON lines (the child writes them
straight into the connection, as a cold worker writes its stdout), then {"exit": code}. The child applies
the job's environment, so every call behaves like a cold call with that environment. The connection
closing (GIMP's Cancel SIGKILLs the plug-in) or {"cancel": true} kills the child's process group at once.

The server exits when its owner (the GIMP that started it, checked with its start time against pid reuse)
is gone, when idle for the timeout, when its socket was removed or replaced, or when the plug-in's files
changed since it started (answering that job {"stale": true}, so the client starts a fresh one).

    python -m plugin.link.warm_server SOCKET_FOLDER KEY OWNER_PID OWNER_START REPO
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import selectors
import signal
import socket
import sys
import threading
import time
from pathlib import Path

from plugin.link import warm_channel
from plugin.link.warm_child import run_child

DEFAULT_IDLE = 600.0
TICK = 1.0


def log(text: str) -> None:
    sys.stderr.write(f"imagen-gimp warm worker {os.getpid()}: {text}\n")
    sys.stderr.flush()


def source_fingerprint(repo: str) -> str:
    """Names, sizes and times of the plug-in's files: a changed file (an upgrade) means a fresh worker."""
    digest = hashlib.sha256()
    for top in ("plugin", "emulator"):
        for folder, dirs, files in os.walk(os.path.join(repo, top)):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".toml")):
                    path = os.path.join(folder, name)
                    try:
                        info = os.stat(path)
                    except OSError:
                        continue
                    digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def idle_seconds(environ: dict) -> float:
    """IMAGEN_GIMP_WORKER_IDLE (seconds) wins, else config.toml's worker_idle_minutes; 0 = serve one job.

    `warm_worker = false` in the settings file makes every worker serve one job and exit: the same as a
    cold call, decided here because GIMP 2.10's Python cannot read TOML.
    """
    explicit = environ.get("IMAGEN_GIMP_WORKER_IDLE")
    if explicit:
        try:
            return max(0.0, float(explicit))
        except ValueError:
            log("IMAGEN_GIMP_WORKER_IDLE is not a number; using the settings")
    try:
        from plugin.config import config_path, load_settings

        settings = load_settings(config_path(environ), environ)
    except Exception as exc:  # a broken file: the job itself reports it, with the fix
        log(f"settings not read ({type(exc).__name__}); idle timeout {DEFAULT_IDLE:.0f} s")
        return DEFAULT_IDLE
    return max(0.0, settings.worker_idle_minutes * 60.0) if settings.warm_worker else 0.0


class Job:
    def __init__(self, conn: socket.socket, request: dict):
        self.conn = conn
        self.request = request
        self.pid = 0
        self.pidfd = -1
        self.cancelled = False
        self.listening = True  # its connection is in the selector (until the client hangs up)


class Server:
    def __init__(self, paths: warm_channel.Paths, owner: int, owner_start: str, repo: str):
        self.paths = paths
        self.owner, self.owner_start = owner, owner_start
        self.repo = repo
        self.fingerprint = source_fingerprint(repo)
        self.selector = selectors.DefaultSelector()
        self.pending: dict[socket.socket, bytes] = {}  # connections whose request line is not complete
        self.queue: list[Job] = []
        self.running: Job | None = None
        self.idle = float(os.environ.get("IMAGEN_GIMP_WORKER_IDLE") or DEFAULT_IDLE)
        self.last_active = time.monotonic()
        self.stopping = ""
        self.warmer: threading.Thread | None = None  # started when the first job ended (it never waits for it)
        self.listener: socket.socket | None = None
        self.socket_inode = 0

    # -- life ----------------------------------------------------------------------------------

    def listen(self) -> None:
        warm_channel.remove_quietly(self.paths.socket)  # a dead server's socket (we hold the life lock)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o077)
        try:
            listener.bind(self.paths.socket)
        finally:
            os.umask(old)
        listener.listen(16)
        listener.setblocking(False)
        self.listener = listener
        self.socket_inode = os.lstat(self.paths.socket).st_ino
        self.selector.register(listener, selectors.EVENT_READ, "accept")

    def serve(self) -> str:
        while not self.stopping:
            self.start_next()
            timeout = TICK if self.running is not None or self.queue else min(TICK, self.idle_left())
            if self.running is not None and self.running.pidfd < 0 or self.warmer and self.warmer.is_alive():
                timeout = 0.05
            for key, _events in self.selector.select(max(0.0, timeout)):
                self.handle(key)
            self.poll_child()
            self.check_life()
        return self.stopping

    def idle_left(self) -> float:
        return self.idle - (time.monotonic() - self.last_active)

    def check_life(self) -> None:
        if not warm_channel.is_alive(self.owner, self.owner_start):
            self.stop(f"its GIMP (pid {self.owner}) is gone")
        elif self.running is None and not self.queue and self.idle_left() <= 0:
            self.stop(f"idle for {self.idle:.0f} s")
        else:
            try:
                if os.lstat(self.paths.socket).st_ino != self.socket_inode:
                    self.stop("its socket was replaced")
            except OSError:
                self.stop("its socket was removed")

    def stop(self, reason: str) -> None:
        self.stopping = reason
        job = self.running
        if job is not None:
            self.kill(job)
        for other in self.queue:
            other.conn.close()

    def shutdown(self) -> None:
        try:
            if os.lstat(self.paths.socket).st_ino == self.socket_inode:
                os.remove(self.paths.socket)
        except OSError:
            pass
        if warm_channel.read_record(self.paths.pid).get("pid") == os.getpid():
            warm_channel.remove_quietly(self.paths.pid)

    # -- events --------------------------------------------------------------------------------

    def handle(self, key: selectors.SelectorKey) -> None:
        if key.data == "accept":
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            conn.setblocking(False)
            self.pending[conn] = b""
            self.selector.register(conn, selectors.EVENT_READ, "request")
        elif key.data == "request":
            self.read_request(key.fileobj)
        elif key.data == "exited":
            self.finish()
        else:  # a queued or running job's connection: a cancel or the client gone
            self.client_event(key.data)

    def read_request(self, conn: socket.socket) -> None:
        try:
            chunk = conn.recv(1 << 20)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        data = self.pending[conn] + chunk
        if not chunk or len(data) > 8 << 20:
            self.drop(conn)
            return
        if b"\n" not in data:
            self.pending[conn] = data
            return
        del self.pending[conn]
        self.selector.unregister(conn)
        try:
            request = json.loads(data.split(b"\n", 1)[0])
        except ValueError:
            conn.close()
            return
        conn.setblocking(True)
        if source_fingerprint(self.repo) != self.fingerprint:
            self.answer(conn, {"stale": True})
            self.stop("the plug-in's files changed")
            return
        job = Job(conn, request)
        self.answer(
            conn,
            {
                "hello": os.getpid(),
                "queued": len(self.queue) + (self.running is not None),
                "warm": self.warmer is not None and not self.warmer.is_alive(),
            },
        )
        self.queue.append(job)
        self.selector.register(conn, selectors.EVENT_READ, job)
        self.last_active = time.monotonic()

    def drop(self, conn: socket.socket) -> None:
        self.pending.pop(conn, None)
        self.selector.unregister(conn)
        conn.close()

    def answer(self, conn: socket.socket, message: dict) -> None:
        try:
            warm_channel.send(conn, message)
        except OSError:
            pass

    def client_event(self, job: Job) -> None:
        try:
            data = job.conn.recv(4096)
        except OSError:
            data = b""
        if data and b"cancel" not in data:
            return
        if job is self.running:
            job.cancelled = True
            self.selector.unregister(job.conn)
            job.listening = False
            self.kill(job)  # its exit arrives through the pidfd; finish() closes the connection
        elif job in self.queue:
            self.queue.remove(job)
            self.selector.unregister(job.conn)
            job.conn.close()

    # -- jobs ----------------------------------------------------------------------------------

    def start_next(self) -> None:
        if self.running is not None or not self.queue or self.stopping:
            return
        if self.warmer is not None and self.warmer.is_alive():
            return  # never fork while the warm-up thread holds locks
        if source_fingerprint(self.repo) != self.fingerprint:
            for job in self.queue:
                self.answer(job.conn, {"stale": True})
            self.stop("the plug-in's files changed")
            return
        job = self.queue.pop(0)
        self.idle = idle_seconds(job.request.get("env") or {})
        sys.stdout.flush()
        sys.stderr.flush()
        self.answer(job.conn, {"started": True})  # before the fork: the child writes to this connection too
        pid = os.fork()
        if pid == 0:
            run_child(job.conn, job.request, self.repo, self.inherited(job))  # never returns
        job.pid = pid
        self.running = job
        try:
            job.pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):  # before Linux 5.3 / Python 3.9: poll (serve's short tick)
            job.pidfd = -1
        if job.pidfd >= 0:
            self.selector.register(job.pidfd, selectors.EVENT_READ, "exited")

    def inherited(self, job: Job) -> list[int]:
        """The descriptors a child must close: everything of the server but its own job's connection."""
        numbers = [self.listener.fileno()]
        if hasattr(self.selector, "fileno"):
            numbers.append(self.selector.fileno())
        numbers += [conn.fileno() for conn in self.pending]
        numbers += [other.conn.fileno() for other in self.queue if other is not job]
        return numbers

    def kill(self, job: Job) -> None:
        for target in (lambda: os.killpg(job.pid, signal.SIGKILL), lambda: os.kill(job.pid, signal.SIGKILL)):
            try:
                target()
            except OSError:
                pass

    def poll_child(self) -> None:
        if self.running is not None and self.running.pidfd < 0:
            self.finish(block=False)

    def finish(self, block: bool = True) -> None:
        job = self.running
        if job is None:
            return
        pid, status = os.waitpid(job.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return
        if job.pidfd >= 0:
            self.selector.unregister(job.pidfd)
            os.close(job.pidfd)
        try:
            os.killpg(job.pid, signal.SIGKILL)  # anything the job started goes with it
        except OSError:
            pass
        code = os.waitstatus_to_exitcode(status)
        self.answer(job.conn, {"exit": code, "cancelled": job.cancelled})
        if job.listening:
            self.selector.unregister(job.conn)
        job.conn.close()
        self.running = None
        self.last_active = time.monotonic()
        if self.idle <= 0:
            self.stop("serves one job (warm worker turned off)")
        elif self.warmer is None and (job.request.get("env") or {}).get("IMAGEN_GIMP_WORKER_WARMUP") != "0":
            self.warm_kernels()  # after the first job, which ran at cold speed; the next fork waits for it

    def warm_kernels(self) -> None:
        def work() -> None:
            try:
                from plugin.engine.warmup import warm_up

                log(f"kernels warm in {warm_up():.2f} s")
            except Exception as exc:  # a job still works, it loads what it needs itself
                log(f"warm-up failed: {type(exc).__name__}: {exc}")

        self.warmer = threading.Thread(target=work, name="warm-up", daemon=True)
        self.warmer.start()


def pin_threading_layer() -> None:
    """Numba's GNU OpenMP layer hangs in a forked child; TBB and workqueue do not. Kernels split work in
    fixed row bands, so the layer changes speed, never results."""
    if os.environ.get("NUMBA_THREADING_LAYER"):
        return
    try:
        import tbb  # noqa: F401

        layer = "tbb"
    except ImportError:
        layer = "tbb" if Path(sys.prefix, "lib", "libtbb.so.12").exists() else "workqueue"
    os.environ["NUMBA_THREADING_LAYER"] = layer


def main(argv: list[str]) -> int:
    folder, key, owner, owner_start, repo = argv
    warm_channel.secure_folder(folder)
    paths = warm_channel.Paths(folder, key)
    lock = os.open(paths.lock, os.O_RDWR | os.O_CREAT, 0o600)
    for _ in range(50):  # a client testing the lock holds it shared for a moment
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError:
            time.sleep(0.02)
    else:
        log("another worker serves this key")
        return 3
    if os.fork() > 0:  # the starter exits: the server is nobody's child (no zombie in GIMP or a test)
        os._exit(0)
    warm_channel.remove_quietly(paths.pid)
    with open(paths.pid + ".tmp", "w") as handle:
        json.dump({"pid": os.getpid(), "start": warm_channel.process_start(os.getpid())}, handle)
    os.replace(paths.pid + ".tmp", paths.pid)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit(0)))
    started = time.perf_counter()
    pin_threading_layer()
    from plugin.backends import gemini, local  # noqa: F401
    from plugin.legacy.imagen import backend  # noqa: F401
    from plugin.link import job_runner  # noqa: F401  the heavy imports, once

    log(f"libraries imported in {time.perf_counter() - started:.2f} s")
    server = Server(paths, int(owner), owner_start, repo)
    server.listen()
    try:
        reason = server.serve()
    finally:
        server.shutdown()
    log(f"exits: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
