"""The GIMP 2.10 entry that install.sh writes (entries/gimp2.py), run by Python 2.7 as GIMP 2.10 would.

install.sh --links-only writes it into a fake HOME's ~/.config/GIMP/2.10; the entry must then find
its installation (a copy of the files it needs, in a temporary folder) and register every
procedure through the gimpfu stub, and say in one line what to do once that installation is gone.
Python 2/3-compatible, like stub_suite.py (run.py runs it under 2.7 in the Debian 11 root).
"""
# ruff: noqa: UP003, UP004, UP025, UP028, UP031  (Python 2.7 syntax: this file also runs under 2.7)

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import stubtools

from plugin.hosts import procedures

INSTALLATION_FILES = ("install.sh", "install-gimp.sh", "imagen_gimp_2.py", "entries", "plugin")
TOOLS = ("bash", "awk", "sed", "grep", "sort", "head", "cat", "mkdir", "rmdir", "rm", "mv", "chmod",
         "dirname", "readlink", "cmp", "cksum", "sleep", "timeout", "uname")


def tool_path(folder):
    """A PATH of only the tools install.sh uses, so that no GIMP on this machine plays a part."""
    os.mkdir(folder)
    for tool in TOOLS:
        for directory in ("/usr/local/bin", "/usr/bin", "/bin"):
            found = os.path.join(directory, tool)
            if os.path.exists(found):
                os.symlink(found, os.path.join(folder, tool))
                break
    return folder


def _ignore(folder, names):
    return [name for name in names if name == "__pycache__" or name.endswith((".pyc", ".nbi", ".nbc"))]


class TestWrittenEntry(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp()
        self.installation = os.path.join(self.folder, "imagen gimp")
        os.mkdir(self.installation)
        for name in INSTALLATION_FILES:
            source = os.path.join(stubtools.REPO, name)
            if os.path.isdir(source):
                shutil.copytree(source, os.path.join(self.installation, name), ignore=_ignore)
            else:
                shutil.copy2(source, os.path.join(self.installation, name))
        self.home = os.path.join(self.folder, "home")
        os.makedirs(os.path.join(self.home, ".config", "GIMP", "2.10"))
        env = {"HOME": self.home, "PATH": tool_path(os.path.join(self.folder, "bin"))}
        command = [os.path.join(env["PATH"], "bash"), os.path.join(self.installation, "install.sh"),
                   "--links-only"]
        out = subprocess.check_output(command, env=env, stderr=subprocess.STDOUT)
        self.install_output = out.decode("utf-8")
        self.entry = os.path.join(self.home, ".config", "GIMP", "2.10", "plug-ins", "imagen_gimp_2.py")

    def tearDown(self):
        shutil.rmtree(self.folder)

    def run_entry(self):
        """The entry as GIMP 2.10 runs it, under this Python with the gimpfu stub; (code, out, err)."""
        code = ("import sys, runpy; sys.path[:] = [p for p in sys.path if p not in ('', %r)]; "
                "sys.path.insert(0, %r); runpy.run_path(%r, run_name='__main__'); import gimp, plugin; "
                "print(len(gimp._stub.installed)); print(plugin.__file__)"
                % (stubtools.REPO, stubtools.HERE, self.entry))
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        process = subprocess.Popen([sys.executable, "-B", "-c", code], cwd=self.folder, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = process.communicate()
        return process.returncode, out.decode("utf-8"), err.decode("utf-8")

    def test_install_writes_a_plain_executable_entry(self):
        self.assertTrue(os.path.isfile(self.entry) and not os.path.islink(self.entry), self.install_output)
        self.assertTrue(os.access(self.entry, os.X_OK))
        self.assertTrue("GIMP 2.10 (needs its Python-Fu): wrote" in self.install_output, self.install_output)

    def test_the_entry_registers_everything_from_its_installation(self):
        status, out, err = self.run_entry()
        self.assertEqual(status, 0, err)
        count, where = out.strip().splitlines()
        self.assertTrue(int(count) >= len(procedures.PROCEDURES), count)  # (and Check Setup, where it exists)
        self.assertTrue(os.path.realpath(where).startswith(os.path.realpath(self.installation)), where)

    def test_an_entry_whose_installation_is_gone_says_so_in_one_line(self):
        shutil.rmtree(self.installation)
        status, out, err = self.run_entry()
        self.assertNotEqual(status, 0)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith("imagen-gimp: the installation this plug-in runs is gone"), err)
        self.assertTrue("run install.sh" in lines[0] and "Traceback" not in err, err)


if __name__ == "__main__":
    unittest.main()
