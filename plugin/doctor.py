"""Check Setup (`imagen-gimp doctor`, Filters > Imagen > Check Setup): what works and what is missing.

Setup problems are what users of every GIMP AI plug-in meet first (no menu, a missing library, the
wrong version folder, credentials, a disabled API). Each line here is OK or a problem with its fix in
one sentence. It never prints a secret (paths and account types only) and costs nothing: the cloud
checks ask :countTokens, which makes no picture and is not billed per image.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from plugin import config
from plugin.doctor_cloud import cloud_checks, credentials_check, project_check
from plugin.doctor_line import Line

REPO = Path(__file__).resolve().parents[1]
LIBRARIES = (
    ("numpy", "numpy"),
    ("Pillow", "PIL"),
    ("SciPy", "scipy"),
    ("OpenCV", "cv2"),
    ("Numba", "numba"),
    ("ncnn", "ncnn"),
    ("google-genai", "google.genai"),
    ("google-cloud-aiplatform", "google.cloud.aiplatform"),
)


def run_checks(environ: dict[str, str] | None = None, cloud: bool = True) -> list[Line]:
    """Every check, in the order a user would fix them; `cloud` False skips the network."""
    environ = dict(os.environ if environ is None else environ)
    lines = [_python(), _libraries(), _worker(), _engine(), *_models(), *_gimp_folders(environ)]
    try:
        settings = config.load_settings(environ=environ)
    except config.ConfigError as exc:
        lines.append(Line("settings", False, str(exc), "correct or delete the settings file"))
        return lines
    lines.append(
        Line(
            "settings",
            True,
            settings.source or f"no settings file ({config.config_path()}); defaults and environment variables apply",
        )
    )
    credentials = credentials_check(settings, environ)
    lines.append(credentials)
    project = project_check(settings, environ)
    lines.append(project)
    lines.append(
        Line(
            "location",
            True,
            f"{settings.location}" + (" (Google's global endpoint)" if settings.location == "global" else ""),
        )
    )
    if not cloud:
        lines.append(Line("Vertex AI", None, "not contacted (--offline)"))
        return lines
    if credentials.ok is False or project.ok is False:
        lines.append(Line("Vertex AI", None, "not contacted: fix the credentials and the project first"))
        return lines
    lines.extend(cloud_checks(settings))
    return lines


# --- this computer ---------------------------------------------------------------------------------


def _python() -> Line:
    version = ".".join(str(v) for v in sys.version_info[:3])
    in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
    where = f"Python {version} at {sys.executable}"
    if not in_venv:
        return Line(
            "Python",
            False,
            where + " (not the plug-in's .venv)",
            f"run {REPO / '.venv/bin/imagen-gimp'} doctor, or ./install.sh first",
        )
    return Line("Python", True, where)


def _libraries() -> Line:
    from importlib import metadata

    found, missing = [], []
    for label, module in LIBRARIES:
        try:
            __import__(module)
        except Exception:  # noqa: BLE001 - any failure to import is a broken install
            missing.append(label)
            continue
        try:
            found.append(f"{label} {metadata.version(label if label != 'OpenCV' else 'opencv-python-headless')}")
        except metadata.PackageNotFoundError:
            found.append(label)
    if missing:
        return Line("libraries", False, "cannot import " + ", ".join(missing), f"run ./install.sh in {REPO}")
    return Line("libraries", True, ", ".join(found))


def _worker() -> Line:
    """The worker GIMP starts for each job: does it start, and how long does its start take?"""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "plugin.link.worker", "--check"],
            cwd=str(REPO),
            timeout=120,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Line("worker", False, f"did not start ({exc})", f"run ./install.sh in {REPO}")
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Line("worker", False, f"stopped with exit code {done.returncode}: {tail}", f"run ./install.sh in {REPO}")
    return Line("worker", True, f"starts in {seconds:.1f} s")


def _engine() -> Line:
    """Numba keeps the compiled fill kernels beside the modules; without them the first fill compiles."""
    cache = REPO / "plugin" / "engine" / "__pycache__"
    compiled = list(cache.glob("patch_kernels*.nbi")) if cache.is_dir() else []
    if not compiled:
        return Line(
            "offline engine",
            False,
            "not compiled yet (the first Remove or Expand would take ~15 s longer)",
            f"run {sys.executable} -m plugin.engine.warmup",
        )
    return Line("offline engine", True, f"compiled ({len(compiled)} kernels cached)")


def _models() -> list[Line]:
    """Each neural model of the offline engine: present and verified, or missing with what runs instead."""
    from plugin import model_files

    lines = []
    for model, ok in model_files.status():
        if ok:
            lines.append(Line(f"model {model.name}", True, f"present ({model.use}; {model.licence})"))
        else:
            lines.append(
                Line(
                    f"model {model.name}",
                    False,
                    f"missing, so {model.use} use the classical method",
                    "run ./install.sh in the plug-in's folder (it fetches and checks the model files)",
                )
            )
    return lines


def gimp_folders(environ: dict[str, str]) -> list[Path]:
    """The GIMP user folders there are: 3.x (and 2.10), on Linux and macOS."""
    roots = [
        Path(environ.get("XDG_CONFIG_HOME") or Path(environ.get("HOME", str(Path.home()))) / ".config") / "GIMP",
        Path(environ.get("HOME", str(Path.home()))) / "Library" / "Application Support" / "GIMP",
    ]
    folders = []
    for root in roots:
        if root.is_dir():
            folders += sorted(p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"(3\.\d+|2\.10)", p.name))
    return folders


def _gimp_folders(environ: dict[str, str]) -> list[Line]:
    folders = gimp_folders(environ)
    if not folders:
        return [
            Line(
                "GIMP",
                False,
                "no GIMP 3 user folder found (GIMP makes it on its first start)",
                "start GIMP once, quit it, then run ./install.sh",
            )
        ]
    lines = []
    for folder in folders:
        entry = (
            folder / "plug-ins" / "imagen_gimp" / "imagen_gimp.py"
            if folder.name != "2.10"
            else folder / "plug-ins" / "imagen_gimp_2.py"
        )
        name = f"GIMP {folder.name}"
        if not entry.exists():
            lines.append(Line(name, False, f"the plug-in is not in {folder}", "run ./install.sh, then restart GIMP"))
            continue
        named = _installation_of(entry)
        if named and Path(named).resolve() != REPO:
            lines.append(
                Line(
                    name,
                    False,
                    f"{entry} runs another installation ({named})",
                    f"run ./install.sh in {REPO} to point it here",
                )
            )
        elif named and not (Path(named) / "imagen_gimp.py").is_file():
            lines.append(Line(name, False, f"{entry} names {named}, which is gone", "run ./install.sh again"))
        else:
            lines.append(Line(name, True, f"plug-in installed in {entry.parent}"))
    return lines


def _installation_of(entry: Path) -> str:
    """The installation an entry file names (install.sh writes INSTALLATION = "..."), or a link's target."""
    if entry.is_symlink():
        return str(Path(os.path.realpath(entry)).parent)
    try:
        match = re.search(r'^INSTALLATION = "(.*)"$', entry.read_text(errors="replace"), re.M)
    except OSError:
        return ""
    return match.group(1).encode().decode("unicode_escape") if match else ""


def report(lines: list[Line]) -> str:
    problems = sum(1 for line in lines if line.ok is False)
    summary = "All checks passed." if not problems else f"{problems} problem(s) found; each line says what to do."
    return "\n".join(line.render() for line in lines) + "\n" + summary


def main(argv: list[str] | None = None) -> int:
    """`imagen-gimp doctor [--offline]`: print each check; exit 2 when there is a problem."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="imagen-gimp doctor",
        description="Check the setup: Python, the "
        "worker, GIMP's folders, credentials, project, Vertex AI and its models",
    )
    parser.add_argument("--offline", action="store_true", help="skip the checks that contact Vertex AI")
    args = parser.parse_args(argv)
    lines = run_checks(cloud=not args.offline)
    print(report(lines), flush=True)
    return 2 if any(line.ok is False for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
