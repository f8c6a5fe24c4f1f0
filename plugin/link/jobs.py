"""Job folders in the temp dir: made with a lock the host holds, removed after the paste, and swept
when a plug-in died without removing its own (GIMP's Cancel SIGKILLs the plug-in).

The folder layout is plugin/link/jobfiles.py's. GIMP's Python (2.7 for GIMP 2.10): standard library
only, 2.7 syntax, type comments.
"""

from __future__ import absolute_import

import errno
import os
import shutil
import stat
import sys
import tempfile

from plugin.link import jobfiles

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, so no sweep; each job removes only its own folder
    fcntl = None

JOB_PREFIX = "imagen-gimp-"


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
        log("cannot lock the job folder %s (%s); it is removed when the job ends" % (folder, exc))
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
        log("cannot look for old job folders: %s" % exc)
        return removed
    for name in names:
        path = os.path.join(directory, name)
        try:
            if _remove_if_stale(path):
                removed.append(path)
        except Exception as exc:
            log("cannot remove the old job folder %s: %s" % (path, exc))
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


def log(text):
    # type: (str) -> None
    """A line on the plug-in's stderr (GIMP's terminal or error console); never raises."""
    try:
        sys.stderr.write("imagen-gimp: %s\n" % text)
        sys.stderr.flush()
    except Exception:
        pass
