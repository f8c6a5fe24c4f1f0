"""install.sh in the real roots, GIMP 3.0.4 and 3.2.6: it finds GIMP by itself, and what it writes
keeps working when GIMP 3.2 imports a GIMP 3.0 folder (the upgrade that broke the old links).

Each check starts GIMP with a HOME of its own under /tmp in the root, so GIMP's first start (and
its import of an older folder) happens for real; a small batch then asks the PDB which Imagen
procedures exist and under which menu. tests/test_install.py covers the same logic quickly, with
fake GIMPs.
"""

from __future__ import annotations

import json
import re

import pytest

from plugin.hosts import procedures

from . import rootfs

NAMES = [proc.name for proc in procedures.PROCEDURES]
REGISTERED = (
    f"NAMES = {NAMES!r}\n"
    + """
import json
import gi
gi.require_version("Gimp", "3.0")
from gi.repository import Gimp
found = {}
for name in NAMES:
    proc = Gimp.get_pdb().lookup_procedure(name)
    if proc is not None:
        found[name] = list(proc.get_menu_paths())
print("IMAGEN-REGISTERED " + json.dumps(found))
"""
)
COPY = "/tmp/imagen-install-copy"  # an installation without .venv: registering needs none


def registered(root: rootfs.Root, home: str) -> tuple[dict, str]:
    """{procedure: menu paths} that GIMP started with HOME=home knows, and its console."""
    done = root.gimp_batch(REGISTERED, env={"HOME": home}, timeout=300)
    console = done.stdout + done.stderr
    found = re.search(r"^IMAGEN-REGISTERED (.*)$", console, re.M)
    assert found, f"the batch printed nothing (exit {done.returncode}):\n{console[-3000:]}"
    return json.loads(found.group(1)), console


def install(root: rootfs.Root, home: str, installation: str = COPY) -> str:
    done = root.sh(
        f"cd '{installation}' && bash install.sh --links-only", env={"HOME": home}, capture=True, timeout=600
    )
    assert done.returncode == 0 and not done.stderr, done.stdout + done.stderr
    return done.stdout


def fresh_home(root: rootfs.Root, name: str) -> str:
    home = f"/tmp/imagen-{name}-home"
    root.sh(f"rm -rf {home} && mkdir -p {home}")
    return home


def assert_all_registered(found: dict, console: str) -> None:
    assert sorted(found) == sorted(NAMES), console[-3000:]
    assert all(paths == [procedures.MENU_PATH] for paths in found.values()), found


@pytest.fixture(scope="module")
def copy(gimp_root):
    """A second installation of the working tree in the root (no .venv), with a manifest of its own."""
    files = "install.sh install-gimp.sh imagen_gimp.py imagen_gimp_2.py entries plugin ui"
    gimp_root.sh(f"rm -rf {COPY} && mkdir -p {COPY} && cd {rootfs.REPO_IN_ROOT} && cp -a {files} {COPY}/")
    yield gimp_root
    gimp_root.sh(f"rm -rf {COPY}")


def test_install_sh_found_this_gimp(gimp_root):
    """The session's install.sh (a full one) wrote the entry into this GIMP's folder, and only there."""
    host = gimp_root.host
    said = gimp_root.install_output
    lines = [line.strip() for line in said.splitlines()]
    mine = [line for line in lines if line.startswith(f"GIMP {host.version}: ") and host.plugin_entry in line]
    assert mine, said
    entry = gimp_root.inside(host.plugin_entry)
    assert entry.is_file() and not entry.is_symlink()
    assert f'INSTALLATION = "{rootfs.REPO_IN_ROOT}"' in entry.read_text()
    others = [path.name for path in gimp_root.inside("/root/.config/GIMP").iterdir() if path.name != host.version]
    assert others == [], others


def test_in_a_fresh_home_install_sh_asks_the_binary_and_gimp_lists_every_procedure(copy):
    """No GIMP folder yet: install.sh asks gimp-3.x its version, lets GIMP make its folder, writes
    the entry there; GIMP then has every procedure under Filters > Imagen."""
    version = copy.host.version
    home = fresh_home(copy, "fresh")
    said = install(copy, home)
    folder = f"{home}/.config/GIMP/{version}"
    assert re.search(
        rf"GIMP {re.escape(version)} \(gimp[-.0-9a-z]*\) has no folder yet: starting it once, "
        "headless",
        said,
    ), said
    assert f"GIMP {version}: wrote {folder}/plug-ins/imagen_gimp/imagen_gimp.py" in said, said
    assert copy.inside(f"{folder}/brushes").is_dir()  # GIMP made its folder, as at a first start
    assert_all_registered(*registered(copy, home))
    assert "is up to date" in install(copy, home)  # and again: nothing to do


def test_a_new_gimp_imports_the_previous_folder_and_the_plugin_works(copy):
    """The user upgrades GIMP. 3.2: its first start copies the 3.0 folder, entry included, and the
    copy registers everything without install.sh being run again. 3.0: it imports GIMP 2.10's
    settings but no plug-ins, so install.sh starts it once to do that, then writes its entry."""
    home = fresh_home(copy, "upgrade")
    written = copy.inside(copy.host.plugin_entry).read_bytes()  # what install.sh writes for COPY
    if copy.host.version == "3.2":
        old = copy.inside(f"{home}/.config/GIMP/3.0/plug-ins/imagen_gimp")
        old.mkdir(parents=True)
        (old / "imagen_gimp.py").write_bytes(written.replace(rootfs.REPO_IN_ROOT.encode(), COPY.encode()))
        (old / "imagen_gimp.py").chmod(0o755)
        found, console = registered(copy, home)
        migrated = copy.inside(f"{home}/.config/GIMP/3.2/plug-ins/imagen_gimp/imagen_gimp.py")
        assert migrated.is_file() and migrated.read_bytes() == (old / "imagen_gimp.py").read_bytes()
        assert_all_registered(found, console)
        assert "is up to date" in install(copy, home)
    else:
        old = copy.inside(f"{home}/.config/GIMP/2.10")
        (old / "plug-ins").mkdir(parents=True)
        (old / "gimprc").write_text("(default-threshold 77)\n")
        said = install(copy, home)
        assert f"so that it imports {home}/.config/GIMP/2.10" in said, said
        assert "GIMP 3.0: wrote" in said and "GIMP 2.10 (needs its Python-Fu): wrote" in said, said
        assert "(default-threshold 77)" in copy.inside(f"{home}/.config/GIMP/3.0/gimprc").read_text()
        assert_all_registered(*registered(copy, home))


def test_an_old_link_is_replaced_and_a_copy_of_it_repaired(copy):
    """Issue 12: the old install.sh linked the entry into 3.0. 3.0 follows the link; 3.2 copies it
    as a plain file, which dies with "No module named 'plugin'". install.sh run again writes an
    entry in place of the link and repairs the copy."""
    version = copy.host.version
    home = fresh_home(copy, "old-link")
    old = copy.inside(f"{home}/.config/GIMP/3.0/plug-ins/imagen_gimp")
    old.mkdir(parents=True)
    (old / "imagen_gimp.py").symlink_to(f"{COPY}/imagen_gimp.py")
    found, console = registered(copy, home)
    if version == "3.2":
        assert found == {} and "No module named 'plugin'" in console, console[-3000:]
    else:
        assert_all_registered(found, console)
    said = install(copy, home)
    assert "GIMP 3.0: wrote" in said and "(instead of the old link)" in said, said
    if version == "3.2":
        assert f"GIMP 3.2: repaired {home}/.config/GIMP/3.2/plug-ins/imagen_gimp/imagen_gimp.py" in said, said
    assert not (old / "imagen_gimp.py").is_symlink()
    assert_all_registered(*registered(copy, home))
