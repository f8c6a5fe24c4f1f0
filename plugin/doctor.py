"""Check Setup (`imagen-gimp doctor`, Filters > Imagen > Check Setup): what works and what is missing.

Setup problems are what users of every GIMP AI plug-in meet first (no menu, a missing library, the
wrong version folder, credentials, a disabled API). Each line here is OK or a problem with its fix in
one sentence. It never prints a secret (paths and account types only) and costs nothing: the cloud
checks ask :countTokens, which makes no picture and is not billed per image.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from plugin import config

REPO = Path(__file__).resolve().parents[1]
PROBE_TIMEOUT = 20.0  # seconds for each cloud check
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


@dataclass(frozen=True)
class Line:
    """One check: ok True (fine), False (a problem, `fix` says what to do) or None (skipped)."""

    name: str
    ok: bool | None
    text: str
    fix: str = ""

    def render(self) -> str:
        mark = {True: "OK     ", False: "PROBLEM", None: "skipped"}[self.ok]
        fix = f". Fix: {self.fix}" if self.fix else ""
        return f"{mark} {self.name}: {self.text}{fix}"


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
    credentials = _credentials(settings, environ)
    lines.append(credentials)
    project = _project(settings, environ)
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
    lines.extend(_cloud(settings))
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


# --- credentials and project -----------------------------------------------------------------------


def _credentials(settings: config.Settings, environ: dict[str, str]) -> Line:
    if config.is_local_endpoint(settings.endpoint):
        return Line("credentials", True, f"none needed: the endpoint is the local server {settings.endpoint}")
    if settings.credentials_file:
        path = Path(settings.credentials_file).expanduser()
        return _key_file(path, "credentials_file in the settings")
    adc = config.adc_file(environ)
    if adc is None:
        return Line(
            "credentials",
            False,
            "no Application Default Credentials found",
            "run `gcloud auth application-default login` (or set credentials_file in the settings to a "
            "service-account key file)",
        )
    source = "GOOGLE_APPLICATION_CREDENTIALS" if environ.get("GOOGLE_APPLICATION_CREDENTIALS") else "gcloud"
    return _key_file(adc, f"Application Default Credentials ({source})")


def _key_file(path: Path, what: str) -> Line:
    if not path.is_file():
        return Line(
            "credentials",
            False,
            f"{what} names {path}, which does not exist",
            "fix the path, or run `gcloud auth application-default login`",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Line(
            "credentials",
            False,
            f"{what}: {path} is not a readable JSON key file",
            "run `gcloud auth application-default login` again, or download a new key",
        )
    kind = str(data.get("type", "")) if isinstance(data, dict) else ""
    known = {
        "authorized_user": "your Google account",
        "service_account": "a service account",
        "external_account": "workload identity federation",
        "impersonated_service_account": "an impersonated service account",
    }
    if kind not in known:
        return Line(
            "credentials",
            False,
            f"{what}: {path} has an unknown type {kind or '(none)'}",
            "run `gcloud auth application-default login` again",
        )
    account = f" {data['client_email']}" if kind == "service_account" and data.get("client_email") else ""
    return Line("credentials", True, f"{what}: {path} ({known[kind]}{account})")


def _project(settings: config.Settings, environ: dict[str, str]) -> Line:
    if settings.project:
        source = "GOOGLE_CLOUD_PROJECT" if environ.get("GOOGLE_CLOUD_PROJECT") else "the settings"
        return Line("project", True, f"{settings.project} (from {source})")
    creds = Path(settings.credentials_file).expanduser() if settings.credentials_file else config.adc_file(environ)
    found = config.project_in_credentials(creds) if creds and creds.is_file() else ""
    if found:
        return Line("project", True, f"{found} (named by the credentials file)")
    return Line(
        "project",
        False,
        "no Google Cloud project set",
        'export GOOGLE_CLOUD_PROJECT=your-project-id, or add project = "your-project-id" to '
        f"{settings.source or config.config_path()}",
    )


# --- Vertex AI ---------------------------------------------------------------------------------------


def _cloud(settings: config.Settings) -> list[Line]:
    """:countTokens on each tier's model: reachable, API enabled, permission, and which models answer."""
    from plugin.backends.gemini import GeminiBackend
    from plugin.backends.vertex_errors import http_failure, map_error

    backend = GeminiBackend(settings)
    catalogue = backend.catalogue
    models = []
    for kind in ("image", "text"):
        for tier in ("standard", "quality", "fast"):
            model_id = catalogue.tier(kind, tier).model
            if model_id not in [m for m, _ in models]:
                models.append((model_id, kind))
    lines: list[Line] = []
    answered, missing = [], []
    for index, (model_id, kind) in enumerate(models):
        model = catalogue.get(model_id, kind)
        try:
            location, _note = backend.transport.location_for(model.locations, model_id)
        except Exception as exc:  # noqa: BLE001 - a location the model is not served at
            missing.append(f"{model_id} ({exc})")
            continue
        context = backend.transport.context(model_id, "doctor", location)
        try:
            client = backend._client(location, context)
            from google.genai import types

            client.models.count_tokens(
                model=model_id,
                contents="ping",
                config=types.CountTokensConfig(http_options=types.HttpOptions(timeout=int(PROBE_TIMEOUT * 1000))),
            )
        except Exception as exc:  # noqa: BLE001 - each failure is read for the fix it needs
            failure = http_failure(exc)
            if failure is not None and failure.code == 404:
                successor = catalogue.replacement_for(model_id)
                missing.append(model_id + (f" (use {successor})" if successor else ""))
                continue
            error = map_error(exc, context)
            if index == 0:  # the first call tells reachability, the API and the permission
                lines.append(_first_failure(error, failure, settings, backend.transport.host(location)))
                return lines
            missing.append(f"{model_id} ({_first_sentence(str(error))})")
            continue
        if index == 0:
            lines.append(
                Line(
                    "Vertex AI",
                    True,
                    f"reachable at {backend.transport.host(location)}, the API is "
                    f"enabled in project {backend.transport.project}, and you may "
                    "call its models",
                )
            )
        answered.append(model_id)
    if answered:
        lines.append(
            Line(
                "models",
                not missing,
                "answer: " + ", ".join(answered) + ("; not available: " + ", ".join(missing) if missing else ""),
                "" if not missing else "ask your administrator to enable them, or choose another tier",
            )
        )
    else:
        lines.append(
            Line(
                "models",
                False,
                "none of the catalogue's models answered: " + ", ".join(missing),
                "check the location in the settings (global serves every model)",
            )
        )
    return lines


def _first_failure(error: Exception, failure, settings: config.Settings, host: str) -> Line:
    text = _first_sentence(str(error))
    code = failure.code if failure is not None else 0
    if code == 401:
        return Line(
            "Vertex AI",
            False,
            "the credentials were refused (401)",
            "run `gcloud auth application-default login` again",
        )
    if code == 403 and (
        failure.reason == "SERVICE_DISABLED" or "not been used" in failure.message or "disabled" in failure.message
    ):
        return Line(
            "Vertex AI",
            False,
            f"the Vertex AI API is not enabled in project {settings.project}",
            f"enable aiplatform.googleapis.com in project {settings.project}: `gcloud services enable "
            f"aiplatform.googleapis.com --project {settings.project}`",
        )
    if code == 403:
        return Line(
            "Vertex AI",
            False,
            f"permission denied in project {settings.project}",
            "your account needs the Vertex AI User role (roles/aiplatform.user): ask the project's "
            "owner, or `gcloud projects add-iam-policy-binding PROJECT --member=user:YOU "
            "--role=roles/aiplatform.user`",
        )
    if failure is None and "Cannot reach" in text:
        return Line(
            "Vertex AI",
            False,
            f"cannot reach {host}",
            "check the internet connection, proxy or firewall, and the endpoint in the settings",
        )
    return Line("Vertex AI", False, text, "see the message; then run Check Setup again")


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".")[:300]


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
