"""Debian roots with a real GIMP 3.x, cached outside the repository, that the tests drive headless.

The host runs Debian 12, whose GIMP 2.10 has no Python. Two roots hold the GIMPs we test on:
Debian 13 (trixie) with GIMP 3.0.4 in ~/.cache/imagen-gimp/gimp3-root, and Debian testing (forky)
with GIMP 3.2.6 in ~/.cache/imagen-gimp/gimp32-root (HOSTS says how each is built and run; the
trixie root keeps its old path so existing caches stay valid). Each is debootstrapped once; every
session copies the working tree in, runs the real install.sh there (which must find GIMP's folder
or binary by itself) and runs the host's gimp-console in it. A file lock per root keeps parallel
runs from building or using one at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

PACKAGES = ["gimp", "python3-gi", "gir1.2-gimp-3.0", "gir1.2-gegl-0.4", "python3-venv", "python3-pip"]
SCREEN_PACKAGES = ["xvfb", "xauth", "imagemagick", "xdotool"]
MIRROR = os.environ.get("IMAGEN_GIMP_DEBIAN_MIRROR", "http://deb.debian.org/debian")
REPO = Path(__file__).resolve().parents[2]
REPO_IN_ROOT = "/opt/imagen-gimp"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HOST_CA = "/etc/ssl/imagen-gimp-host-ca.crt"
KEEP = {".venv", "__pycache__", ".install-manifest", ".models"}  # install.sh's products stay between syncs
CA_VARIABLES = ("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
PASSED_VARIABLES = (
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "PIP_INDEX_URL",
    "PIP_DEFAULT_TIMEOUT",
)


@dataclasses.dataclass(frozen=True)
class Host:
    """One GIMP version to test on, and the Debian root that ships it."""

    version: str  # GIMP's major.minor: also the name of its user folder (~/.config/GIMP/3.2)
    gimp: str  # the upstream release in that root, for messages
    suite: str  # the Debian suite debootstrap builds
    name: str  # the root's folder (and lock, log) under ~/.cache/imagen-gimp
    variable: str  # the environment variable that puts the root elsewhere
    script: str | None = None  # debootstrap script, when Debian 12's debootstrap lacks the suite's
    apt_options: str = ""  # forky's Release file can be past its Valid-Until date
    extra_packages: tuple[str, ...] = ()

    @property
    def console(self) -> str:
        """The console binary: GIMP 3.2 ships gimp-console-3.2 and no gimp-console-3.0."""
        return f"gimp-console-{self.version}"

    @property
    def gui(self) -> str:
        return f"gimp-{self.version}"

    @property
    def user_folder(self) -> str:
        """GIMP's folder for root in the chroot (Gimp.directory()); 3.2 never reads 3.0's."""
        return f"/root/.config/GIMP/{self.version}"

    @property
    def plugin_entry(self) -> str:
        return f"{self.user_folder}/plug-ins/imagen_gimp/imagen_gimp.py"


HOSTS = {
    "3.0": Host("3.0", "3.0.4", "trixie", "gimp3-root", "IMAGEN_GIMP_ROOT"),
    "3.2": Host(
        "3.2",
        "3.2.6",
        "forky",
        "gimp32-root",
        "IMAGEN_GIMP_ROOT_32",
        script="/usr/share/debootstrap/scripts/sid",  # Debian 12's debootstrap has no forky
        apt_options="-o Acquire::Check-Valid-Until=false",
        extra_packages=("ca-certificates",),
    ),
}
DEFAULT_HOST = "3.0"


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "imagen-gimp"


def root_path(host: Host | None = None) -> Path:
    host = host or HOSTS[DEFAULT_HOST]
    return Path(os.environ.get(host.variable) or cache_dir() / host.name)


def unavailable_reason() -> str | None:
    """Why a root cannot be built here, or None. Tests skip only for this (never in CI as root)."""
    if sys.platform != "linux":
        return "needs Linux"
    if os.geteuid() != 0:
        return "needs root (debootstrap, chroot, mount)"
    if not shutil.which("debootstrap") and not shutil.which("apt-get"):
        return "needs debootstrap or apt-get to install it"
    return None


def _run(command: list[str], log: Path | None = None, timeout: float = 1800, **kwargs) -> None:
    out = open(log, "ab") if log else subprocess.DEVNULL
    try:
        subprocess.run(command, check=True, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, **kwargs)
    except subprocess.CalledProcessError as exc:
        tail = log.read_text(errors="replace")[-3000:] if log else ""
        raise RuntimeError(f"{' '.join(command)} failed ({exc.returncode}):\n{tail}") from exc
    finally:
        if log:
            out.close()


class Root:
    """The chroot; use inside `session()` so /proc is mounted and the lock is held."""

    def __init__(self, path: Path, host: Host | None = None):
        self.path = path
        self.host = host or HOSTS[DEFAULT_HOST]
        self.log = cache_dir() / f"{self.host.name}.log"

    # -- building -------------------------------------------------------------------------

    def ensure(self, extra_packages: list[str] | None = None) -> None:
        """Build the root when missing; install any package it lacks. Says so on the terminal (pytest
        captures output, so the test run would otherwise sit silent for minutes)."""
        if not (self.path / "usr/bin/apt-get").exists():
            say(
                f"building the Debian {self.host.suite} root with GIMP {self.host.gimp} in {self.path} (first time "
                f"only: about 3 minutes and 2.2 GB; log: {self.log})"
            )
            self._bootstrap()
        wanted = PACKAGES + list(self.host.extra_packages) + list(extra_packages or [])
        missing = [name for name in wanted if not self._installed(name)]
        if missing:
            say(f"installing {', '.join(missing)} in {self.path}")
            apt = "apt-get " + self.host.apt_options
            with self.proc_mounted():
                self.sh(
                    f"{apt} update -q && DEBIAN_FRONTEND=noninteractive {apt} install -y -q "
                    "--no-install-recommends " + " ".join(missing),
                    log=True,
                    timeout=1800,
                )

    def _bootstrap(self) -> None:
        if not shutil.which("debootstrap"):
            _run(
                ["apt-get", "install", "-y", "-q", "debootstrap"],
                self.log,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
        building = self.path.with_name(self.path.name + ".build")
        if building.exists():
            _unmount(building / "proc")
            shutil.rmtree(building)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        command = ["debootstrap", "--variant=minbase", self.host.suite, str(building), MIRROR]
        _run(command + ([self.host.script] if self.host.script else []), self.log)
        building.rename(self.path)

    def _installed(self, package: str) -> bool:
        return (self.path / "var/lib/dpkg/info" / f"{package}.list").exists() or any(
            (self.path / "var/lib/dpkg/info").glob(f"{package}:*.list")
        )

    @contextlib.contextmanager
    def proc_mounted(self):
        proc = self.path / "proc"
        mounted = os.path.ismount(proc)
        if not mounted:
            _run(["mount", "-t", "proc", "proc", str(proc)])
        try:
            yield
        finally:
            if not mounted:
                _unmount(proc)

    # -- the project inside ---------------------------------------------------------------

    def sync_repo(self) -> None:
        """Mirror the working tree (tracked and untracked, not ignored) into /opt/imagen-gimp.

        Only changed files are copied and build products (.venv, __pycache__ with numba's compiled
        kernels, egg-info) are kept, so a second run starts warm. The entry file is touched so
        GIMP re-queries the procedures even when only plugin/ changed.
        """
        target = self.path / REPO_IN_ROOT.lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        wanted = set(_repo_files())
        for path in sorted(target.rglob("*"), reverse=True):
            relative = path.relative_to(target)
            if KEEP.intersection(relative.parts) or relative.parts[0].endswith(".egg-info"):
                continue
            if path.is_dir() and not path.is_symlink():
                if not any(path.iterdir()):
                    path.rmdir()
            elif str(relative) not in wanted:
                path.unlink()
        for relative in wanted:
            source = REPO / relative
            if not source.is_file():
                continue
            destination = target / relative
            if destination.is_file() and destination.read_bytes() == source.read_bytes():
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, destination)
        entry = target / "imagen_gimp.py"
        if entry.exists():
            os.utime(entry)

    def install(self) -> str:
        """Run the real install.sh inside the root (it has to find this GIMP's folder or binary by
        itself); returns what it said, which the tests check."""
        done = self.sh(f"cd {REPO_IN_ROOT} && bash install.sh 2>&1", timeout=1800, capture=True)
        with open(self.log, "a") as log:
            log.write(done.stdout)
        if done.returncode:
            raise RuntimeError(f"install.sh failed in {self.path} ({done.returncode}):\n{done.stdout[-3000:]}")
        return done.stdout

    # -- running --------------------------------------------------------------------------

    def trust_host_certificates(self) -> None:
        """pip inside the root must trust what the host trusts (a TLS-inspecting proxy, for one).

        The bundle also replaces the root's own, and the host's /etc/pip.conf (a mirror, a cert
        path) is copied as it is: its paths then exist in the root too.
        """
        bundle = Path(os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt")
        if bundle.is_file():
            for path in (HOST_CA, "/etc/ssl/certs/ca-certificates.crt"):
                target = self.inside(path)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(bundle, target)
        if Path("/etc/pip.conf").is_file():
            shutil.copyfile("/etc/pip.conf", self.inside("/etc/pip.conf"))

    def sh(
        self, script: str, log: bool = False, timeout: float = 600, env: dict | None = None, capture: bool = False
    ) -> subprocess.CompletedProcess:
        variables = {"HOME": "/root", "PATH": PATH, "LANG": "C.UTF-8"}
        if self.inside(HOST_CA).is_file():
            variables.update({name: HOST_CA for name in CA_VARIABLES})
        variables.update({k: v for k, v in os.environ.items() if k in PASSED_VARIABLES})
        variables.update(env or {})
        command = ["chroot", str(self.path), "/usr/bin/env", "-i"]
        command += [f"{key}={value}" for key, value in variables.items()]
        command += ["/bin/bash", "-c", script]
        if capture:
            return subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        _run(command, self.log if log else None, timeout=timeout)
        return subprocess.CompletedProcess(command, 0)

    def gimp_batch(
        self, code: str, env: dict | None = None, timeout: float = 600, before: str = ""
    ) -> subprocess.CompletedProcess:
        """Run python-fu-eval batch code in this host's gimp-console (after the shell lines `before`)."""
        script_path = self.path / "tmp" / f"imagen-batch-{os.getpid()}-{time.time_ns()}.py"
        script_path.write_text(code)
        inside = "/" + str(script_path.relative_to(self.path))
        batch = f"exec(compile(open({inside!r}).read(), {inside!r}, 'exec'))"
        try:
            return self.sh(
                before
                + self.host.console
                + " -i -n --batch-interpreter=python-fu-eval -b "
                + _quote(batch)
                + " --quit; status=$?; jobs -p | xargs -r kill 2>/dev/null; exit $status",
                env=env,
                timeout=timeout,
                capture=True,
            )
        finally:
            script_path.unlink(missing_ok=True)

    def inside(self, path: str) -> Path:
        """A path inside the root, as seen from the host."""
        return self.path / path.lstrip("/")


@contextlib.contextmanager
def session(extra_packages: list[str] | None = None, version: str = DEFAULT_HOST):
    """Lock, build or reuse the root of GIMP `version`, mount /proc, copy the repo in and install;
    unmount after."""
    host = HOSTS[version]
    cache_dir().mkdir(parents=True, exist_ok=True)
    with open(cache_dir() / f"{host.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        root = Root(root_path(host), host)
        root.ensure(extra_packages)
        root.trust_host_certificates()
        with root.proc_mounted():
            root.sync_repo()
            root.install_output = root.install()
            yield root


def say(text: str) -> None:
    """A line on the real terminal, past pytest's capture."""
    stream = sys.__stderr__ or sys.stderr
    stream.write(f"\nimagen-gimp tests: {text}\n")
    stream.flush()


def _unmount(path: Path) -> None:
    if os.path.ismount(path):
        subprocess.run(["umount", "-l", str(path)], check=False)


def _repo_files() -> list[str]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True, capture_output=True
        ).stdout.decode()
        return [name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache"}
        return [
            str(p.relative_to(REPO))
            for p in REPO.rglob("*")
            if p.is_file() and not skip.intersection(p.relative_to(REPO).parts)
        ]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"
