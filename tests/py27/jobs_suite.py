"""Job folders under GIMP 2.10's Python: the lock a running job holds and the sweep of folders
that a killed plug-in (GIMP's Cancel) left in the temp dir.

unittest only, Python 2/3-compatible (run.py runs it under a real Python 2.7 and the venv's
Python 3): flock and os.open raise IOError / OSError differently there.
"""
# ruff: noqa: UP003, UP004, UP025, UP028, UP031  (Python 2.7 syntax: this file also runs under 2.7)

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from plugin.link import jobfiles, jobs

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PLUGIN_WITH_A_JOB = """
import sys, tempfile
sys.path.insert(0, %r)
tempfile.tempdir = %r
from plugin.link import jobs
folder = jobs.make_job({"action": "remove"}, 2, 2, (0, 0), b"\\0" * 16, b"\\xff" * 4)
sys.stdout.write(folder + "\\n")
sys.stdout.flush()
sys.stdin.read()
"""


@unittest.skipIf(jobs.fcntl is None, "no fcntl: no locks, no sweep")
class TestStaleJobs(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.tmp = os.path.join(self.root, "tmp")
        os.mkdir(self.tmp)
        self.saved = tempfile.tempdir
        tempfile.tempdir = self.tmp
        self.keep = os.environ.pop("IMAGEN_GIMP_KEEP_JOBS", None)

    def tearDown(self):
        tempfile.tempdir = self.saved
        if self.keep is not None:
            os.environ["IMAGEN_GIMP_KEEP_JOBS"] = self.keep
        shutil.rmtree(self.root)

    def plugin(self):
        """A plug-in process in the middle of a job (its lock held) and the job's folder."""
        code = PLUGIN_WITH_A_JOB % (REPO, self.tmp)
        process = subprocess.Popen([sys.executable, "-B", "-c", code], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE)
        folder = process.stdout.readline().decode("utf-8").strip()
        self.assertTrue(os.path.isfile(os.path.join(folder, jobfiles.LOCK_FILE)), folder)
        return process, folder

    def stale(self, name, where=None):
        path = os.path.join(where or self.tmp, name)
        os.mkdir(path)
        for file_name in (jobfiles.LOCK_FILE, jobfiles.INPUT_FILE):
            with open(os.path.join(path, file_name), "wb") as handle:
                handle.write(b"x")
        return path

    def new_job(self):
        return jobs.make_job({"action": "remove"}, 2, 2, (0, 0), b"\0" * 16, b"\xff" * 4)

    def test_the_next_job_removes_the_folder_of_a_killed_plugin(self):
        process, left = self.plugin()
        process.kill()
        process.wait()
        process.stdout.close()
        process.stdin.close()
        self.assertTrue(os.path.isdir(left))
        folder = self.new_job()
        self.assertFalse(os.path.exists(left))
        self.assertEqual(os.listdir(self.tmp), [os.path.basename(folder)])
        jobs.remove_job(folder)
        self.assertEqual(os.listdir(self.tmp), [])

    def test_a_running_job_is_left_alone(self):
        process, running = self.plugin()
        try:
            folder = self.new_job()
            jobs.remove_job(folder)
            self.assertEqual(jobs.sweep_stale_jobs(), [])
            self.assertTrue(os.path.isfile(os.path.join(running, jobfiles.INPUT_FILE)))
        finally:
            process.stdin.close()
            process.wait()
            process.stdout.close()
        self.assertEqual(jobs.sweep_stale_jobs(), [running])

    def test_only_our_unlocked_folders_are_removed(self):
        ours = self.stale("imagen-gimp-ours")
        outside = self.stale("outside", self.root)
        os.symlink(outside, os.path.join(self.tmp, "imagen-gimp-link"))
        other = self.stale("other-app")
        old = os.path.join(self.tmp, "imagen-gimp-old")
        os.mkdir(old)
        self.assertEqual(jobs.sweep_stale_jobs(), [ours])
        self.assertEqual(sorted(os.listdir(self.tmp)), ["imagen-gimp-link", "imagen-gimp-old", "other-app"])
        self.assertEqual(sorted(os.listdir(outside)), sorted([jobfiles.INPUT_FILE, jobfiles.LOCK_FILE]))
        self.assertEqual(sorted(os.listdir(other)), sorted([jobfiles.INPUT_FILE, jobfiles.LOCK_FILE]))


if __name__ == "__main__":
    unittest.main()


class TestBugLog(unittest.TestCase):
    def test_the_bug_log_keeps_the_stack(self):
        """2.7's exceptions have no __traceback__: the log must still name where the bug happened."""
        from plugin import errors

        cache = tempfile.mkdtemp()
        saved = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = cache
        try:
            try:
                {}["missing"]
            except KeyError as exc:
                path = errors.log_exception(exc)
            with open(path) as handle:
                text = handle.read()
            self.assertIn("test_the_bug_log_keeps_the_stack", text)
            self.assertIn("KeyError", text)
        finally:
            if saved is None:
                os.environ.pop("XDG_CACHE_HOME", None)
            else:
                os.environ["XDG_CACHE_HOME"] = saved
            shutil.rmtree(cache)
