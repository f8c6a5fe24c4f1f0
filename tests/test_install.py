"""install.sh's GIMP part, with a fake HOME and fake GIMP binaries: no GIMP, no venv (--links-only).

Each test copies what an installation needs (install.sh, entries/, the entry files, plugin/) into a
temporary folder and installs from there, so the repository's own .install-manifest is never
touched and an installation can be deleted to see what the entries do then. The PATH holds only
the few tools install.sh uses and the fake GIMPs, so a GIMP on this machine plays no part.
The real installs, in real GIMP 3.0 and 3.2, are in tests/gimp3.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from plugin.hosts import procedures

REPO = Path(__file__).resolve().parents[1]
GI_STUB = Path(__file__).parent / "gi_stub"
TOOLS = (
    "bash",
    "sh",
    "env",
    "awk",
    "sed",
    "grep",
    "sort",
    "head",
    "cat",
    "mkdir",
    "rmdir",
    "rm",
    "mv",
    "cp",
    "chmod",
    "dirname",
    "readlink",
    "cmp",
    "cksum",
    "sleep",
    "timeout",
    "uname",
)
ENTRY3 = "plug-ins/imagen_gimp/imagen_gimp.py"
ENTRY2 = "plug-ins/imagen_gimp_2.py"
FAKE_GIMP = """#!/bin/sh
# a fake GIMP: says its version; a headless start makes its folder (mode=make) or nothing (mode=none)
echo "$*" >> "$HOME/gimp-calls"
case "$1" in
  --version) echo "GNU Image Manipulation Program version {version}.1" ;;
  *) [ "{mode}" = make ] && mkdir -p "$HOME/.config/GIMP/{version}/brushes"
     [ "{mode}" = make ] && [ -d "$HOME/.config/GIMP/3.0" ] && cp -Rp "$HOME/.config/GIMP/3.0/." \\
       "$HOME/.config/GIMP/{version}/" ;;
esac
exit 0
"""


class Setup:
    """A fake home, an installation to install from, and a PATH with fake GIMPs."""

    def __init__(self, tmp_path: Path):
        self.home = tmp_path / "home"
        self.home.mkdir()
        self.config = self.home / ".config" / "GIMP"
        self.install_dir = tmp_path / "imagen gimp's copy"  # a space and a quote in the path
        self.install_dir.mkdir()
        for name in ("install.sh", "install-gimp.sh", "imagen_gimp.py", "imagen_gimp_2.py"):
            shutil.copy2(REPO / name, self.install_dir / name)
        for folder in ("entries", "plugin"):
            shutil.copytree(
                REPO / folder, self.install_dir / folder, ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc")
            )
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        for tool in TOOLS:
            found = shutil.which(tool)
            if found:
                (self.bin / tool).symlink_to(found)
        self.env = {"HOME": str(self.home), "PATH": str(self.bin), "LANG": "C.UTF-8"}

    def gimp(self, name: str, version: str, mode: str = "make") -> None:
        script = self.bin / name
        script.write_text(FAKE_GIMP.replace("{version}", version).replace("{mode}", mode))
        script.chmod(0o755)

    def folders(self, *versions: str) -> None:
        for version in versions:
            (self.config / version).mkdir(parents=True)

    def run(self, *options: str, env: dict | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run(
            ["bash", str(self.install_dir / "install.sh"), "--links-only", *options],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert not done.stderr, done.stderr
        return done

    def gimp_calls(self) -> list[str]:
        calls = self.home / "gimp-calls"
        return calls.read_text().splitlines() if calls.exists() else []


def tree(root: Path) -> dict:
    """Every path under root with what it is: file content and mode, link target, or a folder
    (not the fake GIMPs' log of their calls)."""
    found = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if key == "gimp-calls":
            continue
        if path.is_symlink():
            found[key] = ("link", os.readlink(path))
        elif path.is_dir():
            found[key] = ("dir",)
        else:
            found[key] = ("file", path.read_bytes(), path.stat().st_mode, path.stat().st_mtime_ns)
    return found


def run_entry(entry: Path) -> subprocess.CompletedProcess:
    """Run an entry as GIMP 3 would (its argv), with the gi stub instead of GIMP's PyGObject."""
    # -S: no site-packages, where the venv's editable install would find plugin/ for any entry
    return subprocess.run(
        [sys.executable, "-S", "-B", str(entry), "-gimp", "3", "4", "5", "-query", "0"],
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(GI_STUB)},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=entry.parent,
    )


@pytest.fixture
def setup(tmp_path):
    return Setup(tmp_path)


def test_every_gimp3_folder_gets_an_entry(setup):
    setup.folders("3.0", "3.2", "3.4", "2.99")  # 2.99 was the 3.0 preview, with another API
    setup.gimp("gimp-3.2", "3.2")
    out = setup.run().stdout
    for version in ("3.0", "3.2", "3.4"):
        entry = setup.config / version / ENTRY3
        assert entry.is_file() and not entry.is_symlink() and os.access(entry, os.X_OK), version
        assert f"GIMP {version}: wrote {entry}" in out
    assert not (setup.config / "2.99" / "plug-ins").exists()
    assert setup.gimp_calls() == ["--version"]  # its folder exists: GIMP is only asked its version
    assert str(setup.install_dir) in out and "No GIMP" not in out


def test_xdg_config_home_is_where_gimp_looks(setup, tmp_path):
    xdg = tmp_path / "xdg"
    (xdg / "GIMP" / "3.2").mkdir(parents=True)
    setup.run(env={"XDG_CONFIG_HOME": str(xdg)})
    assert (xdg / "GIMP" / "3.2" / ENTRY3).is_file()
    assert not setup.config.exists()


def test_macos_folders(setup):
    (setup.bin / "uname").unlink()
    (setup.bin / "uname").write_text("#!/bin/sh\necho Darwin\n")
    (setup.bin / "uname").chmod(0o755)
    support = setup.home / "Library" / "Application Support" / "GIMP"
    (support / "3.0").mkdir(parents=True)
    (support / "3.2").mkdir()
    out = setup.run().stdout
    assert (support / "3.0" / ENTRY3).is_file() and (support / "3.2" / ENTRY3).is_file()
    assert f"GIMP 3.2: wrote {support / '3.2' / ENTRY3}" in out


def test_only_a_binary_found_gimp_makes_its_folder_first(setup):
    setup.gimp("gimp-3.2", "3.2")
    out = setup.run().stdout
    assert setup.gimp_calls() == ["--version", "-i -n --quit"]  # GIMP made (and would migrate) its folder
    assert (setup.config / "3.2" / "brushes").is_dir()
    assert (setup.config / "3.2" / ENTRY3).is_file()
    assert "GIMP 3.2 (gimp-3.2) has no folder yet: starting it once, headless" in out
    assert f"GIMP 3.2: wrote {setup.config / '3.2' / ENTRY3}" in out


def test_only_a_binary_found_console_preferred_and_folder_made_when_gimp_does_not(setup):
    setup.gimp("gimp", "3.2", mode="none")
    setup.gimp("gimp-console-3.2", "3.2", mode="none")
    out = setup.run().stdout
    assert setup.gimp_calls().count("-i -n --quit") == 1  # one start, although two binaries say 3.2
    assert "install.sh makes it" in out
    assert (setup.config / "3.2" / ENTRY3).is_file()


def test_a_new_gimp_imports_the_old_folder_with_a_working_entry(setup):
    """GIMP 3.2 not started yet, 3.0 has the plug-in: 3.2's first start copies 3.0's folder."""
    setup.folders("3.0")
    setup.gimp("gimp-3.2", "3.2")
    out = setup.run().stdout
    assert f"so that it imports {setup.config / '3.0'}" in out
    assert f"{setup.config / '3.2' / ENTRY3} is up to date" in out  # the copy GIMP made is current
    assert json.loads(run_entry(setup.config / "3.2" / ENTRY3).stdout)["procedures"]


def test_nothing_found_says_so_and_what_to_do(setup):
    out = setup.run().stdout
    assert "No GIMP found" in out and "start it once, then run ./install.sh again" in out
    assert sorted(p.name for p in setup.home.iterdir()) == []


def test_flatpak_gimp_is_named_not_supported(setup):
    flatpak = setup.home / ".var" / "app" / "org.gimp.GIMP" / "config" / "GIMP" / "3.0"
    flatpak.mkdir(parents=True)
    out = setup.run().stdout
    assert "Flatpak GIMP found" in out and "not supported" in out
    assert list(flatpak.iterdir()) == []


def test_the_entry_finds_the_installation_after_gimp_copies_it(setup):
    """GIMP 3.2's migration copies 3.0's plug-in folder as plain files: the copy still runs."""
    setup.folders("3.0")
    setup.run()
    migrated = setup.config / "3.2" / "plug-ins"
    shutil.copytree(setup.config / "3.0" / "plug-ins", migrated, symlinks=False)
    report = json.loads(run_entry(migrated / "imagen_gimp" / "imagen_gimp.py").stdout)
    assert set(report["procedures"]) >= {proc.name for proc in procedures.PROCEDURES}
    assert Path(report["package"]).resolve().is_relative_to(setup.install_dir.resolve())
    assert report["argv0"] == str(migrated / "imagen_gimp" / "imagen_gimp.py")  # GIMP's argv, unchanged


def test_a_copied_old_link_fails_and_install_repairs_it(setup):
    """What GIMP 3.2 made of the old symlinked entry: a copy of imagen_gimp.py, which cannot find
    plugin/. Running install.sh again turns it back into an entry."""
    setup.folders("3.0", "3.2")
    old = setup.config / "3.0" / "plug-ins" / "imagen_gimp"
    old.mkdir(parents=True)
    (old / "imagen_gimp.py").symlink_to(setup.install_dir / "imagen_gimp.py")
    copy = setup.config / "3.2" / ENTRY3
    copy.parent.mkdir(parents=True)
    shutil.copy2(setup.install_dir / "imagen_gimp.py", copy)
    assert "No module named 'plugin'" in run_entry(copy).stderr
    out = setup.run().stdout
    assert f"GIMP 3.0: wrote {old / 'imagen_gimp.py'} (instead of the old link)" in out
    assert f"GIMP 3.2: repaired {copy}" in out
    assert not (old / "imagen_gimp.py").is_symlink()
    assert json.loads(run_entry(copy).stdout)["procedures"]


def test_an_entry_whose_installation_is_gone_says_so_in_one_line(setup):
    setup.folders("3.2")
    setup.run()
    shutil.rmtree(setup.install_dir)
    done = run_entry(setup.config / "3.2" / ENTRY3)
    assert done.returncode == 1 and not done.stdout
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("imagen-gimp: the installation this plug-in runs is gone")
    assert str(setup.install_dir) in lines[0] and "run install.sh" in lines[0]


def test_running_it_twice_changes_nothing(setup):
    setup.folders("3.0", "3.2", "2.10")
    setup.gimp("gimp-3.2", "3.2")
    setup.run()
    before = tree(setup.home), (setup.install_dir / ".install-manifest").read_text()
    out = setup.run().stdout
    assert (tree(setup.home), (setup.install_dir / ".install-manifest").read_text()) == before
    assert out.count("is up to date") == 3 and "wrote" not in out


def test_uninstall_leaves_exactly_the_tree_before(setup):
    setup.folders("3.0", "3.4", "2.10")
    mine = setup.config / "3.0" / "plug-ins" / "someone-else" / "someone-else.py"
    mine.parent.mkdir(parents=True)
    mine.write_text("print('not ours')\n")
    (setup.config / "3.4" / "gimprc").write_text("(show-tips no)\n")
    setup.gimp("gimp-3.2", "3.2")  # no 3.2 folder: GIMP makes it; that one stays (GIMP's settings)
    before = tree(setup.home)
    setup.run()
    assert (setup.config / "3.2" / ENTRY3).is_file() and (setup.config / "2.10" / ENTRY2).is_file()
    out = setup.run("--uninstall").stdout
    after = tree(setup.home)
    made_by_gimp = {key for key in after if key.startswith(".config/GIMP/3.2")}
    assert {k: v for k, v in after.items() if k not in made_by_gimp} == before
    assert not any(key.endswith("imagen_gimp.py") or key.endswith("imagen_gimp_2.py") for key in after)
    assert f"removed {setup.config / '3.0' / ENTRY3}" in out
    assert not (setup.install_dir / ".install-manifest").exists()


def test_uninstall_removes_old_links_and_migrated_copies_but_no_one_elses(setup):
    setup.folders("3.0", "3.2", "3.4")
    link = setup.config / "3.0" / ENTRY3
    link.parent.mkdir(parents=True)
    link.symlink_to(setup.install_dir / "imagen_gimp.py")  # what install.sh used to make
    setup.run()
    migrated = setup.config / "3.6" / ENTRY3  # a copy GIMP made after the install, never in the manifest
    shutil.copytree(setup.config / "3.4", setup.config / "3.6")
    other = setup.config / "3.4" / ENTRY3  # now another checkout's entry
    other.write_text(other.read_text().replace(str(setup.install_dir), "/elsewhere/imagen-gimp"))
    out = setup.run("--uninstall").stdout
    assert not link.exists() and not link.is_symlink() and not migrated.exists()
    assert other.exists() and f"kept {other}: it is not this installation's" in out
    assert not (setup.config / "3.0" / "plug-ins" / "imagen_gimp").exists()  # the plug-in's own folder
    assert (setup.config / "3.0" / "plug-ins").is_dir()  # it was there before install.sh
    assert not (setup.config / "3.2" / "plug-ins").exists()  # install.sh made this one: removed again


def test_a_file_install_did_not_write_is_left_alone(setup):
    setup.folders("3.2")
    entry = setup.config / "3.2" / ENTRY3
    entry.parent.mkdir(parents=True)
    entry.write_text("# my own plug-in that happens to have this name\n")
    out = setup.run().stdout
    assert entry.read_text() == "# my own plug-in that happens to have this name\n"
    assert "left" in out and "install.sh did not write it" in out
    setup.run("--uninstall")
    assert entry.exists()


def test_gimp_210_gets_its_python_27_entry(setup):
    setup.folders("2.10")
    out = setup.run().stdout
    entry = setup.config / "2.10" / ENTRY2
    text = entry.read_text()
    assert text.startswith("#!/usr/bin/env python\n") and "imagen_gimp_2.py" in text
    assert "GIMP 2.10 (needs its Python-Fu): wrote" in out
    assert 'f"' not in text and "f'" not in text  # Python 2.7 syntax (the 2.7 run is in tests/py27)


def test_help_names_the_options():
    done = subprocess.run(["bash", str(REPO / "install.sh"), "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for option in ("--dev", "--no-gimp", "--no-warm", "--links-only", "--uninstall"):
        assert option in done.stdout
    assert "Flatpak" in done.stdout


def test_a_change_to_the_registration_code_rewrites_the_entry(setup):
    """GIMP keeps what a plug-in registered until the plug-in's file changes: after an update that
    changes the procedures, install.sh rewrites the entry so that GIMP asks again."""
    setup.folders("3.2")
    setup.run()
    entry = setup.config / "3.2" / ENTRY3
    before = entry.read_text()
    table = setup.install_dir / "plugin" / "params.py"
    table.write_text(table.read_text() + "\n# a new parameter\n")
    out = setup.run().stdout
    assert entry.read_text() != before and "GIMP registers the procedures again" in out
    assert "is up to date" in setup.run().stdout
    (setup.install_dir / "plugin" / "engine").mkdir(exist_ok=True)
    (setup.install_dir / "plugin" / "engine" / "new.py").write_text("# not part of the registration\n")
    assert "is up to date" in setup.run().stdout
