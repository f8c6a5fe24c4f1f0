"""Check Setup (`imagen-gimp doctor`): each line OK or a problem with its fix, against the emulator
answering each failure a real project meets; no secret in the report, no picture made."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from emulator import Fault
from plugin import doctor

SECRET = "refresh-token-that-must-not-show"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty home (no gcloud, no GIMP, no settings); returns the environment the checks read."""
    for name in (
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_LOCATION",
        "IMAGEN_GIMP_ENDPOINT",
        "IMAGEN_GIMP_BACKEND",
        "CLOUDSDK_CONFIG",
        "XDG_CONFIG_HOME",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("IMAGEN_GIMP_CONFIG", str(tmp_path / ".config/imagen-gimp/config.toml"))
    return {
        "HOME": str(tmp_path),
        "IMAGEN_GIMP_CONFIG": str(tmp_path / ".config/imagen-gimp/config.toml"),
        "PATH": "/usr/bin:/bin",
    }


def gimp_folder(home_env, version="3.2", installation=str(doctor.REPO)):
    folder = __import__("pathlib").Path(home_env["HOME"]) / ".config" / "GIMP" / version / "plug-ins" / "imagen_gimp"
    folder.mkdir(parents=True)
    (folder / "imagen_gimp.py").write_text(f'#!/usr/bin/env python3\nINSTALLATION = "{installation}"\n')
    return folder


def by_name(lines):
    return {line.name: line for line in lines}


def test_nothing_configured_names_each_problem_and_its_fix(home):
    lines = by_name(doctor.run_checks(home))
    assert lines["credentials"].ok is False
    assert "gcloud auth application-default login" in lines["credentials"].fix
    assert lines["project"].ok is False and "GOOGLE_CLOUD_PROJECT" in lines["project"].fix
    assert lines["GIMP"].ok is False and "install.sh" in lines["GIMP"].fix
    assert lines["Vertex AI"].ok is None  # not contacted before the credentials and project exist
    assert lines["Python"].ok and lines["libraries"].ok and lines["worker"].ok


def test_the_command_exits_non_zero_and_prints_one_line_per_check(home):
    done = subprocess.run(
        [sys.executable, "-m", "plugin", "doctor"],
        capture_output=True,
        text=True,
        env={**home, "PYTHONPATH": str(doctor.REPO)},
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    out = done.stdout.splitlines()
    assert out[-1] == "3 problem(s) found; each line says what to do."
    assert any(
        line.startswith(
            "PROBLEM credentials: no Application Default Credentials found. Fix: run "
            "`gcloud auth application-default login`"
        )
        for line in out
    )
    assert "Traceback" not in done.stdout + done.stderr


def cloud_env(home, emulator, **extra):
    return {**home, "GOOGLE_CLOUD_PROJECT": "doctor-project", "IMAGEN_GIMP_ENDPOINT": emulator.url, **extra}


def test_with_the_emulator_everything_is_ok(home, emulator):
    emulator.faults.clear()
    emulator.requests.clear()
    gimp_folder(home)
    lines = doctor.run_checks(cloud_env(home, emulator))
    assert [line for line in lines if line.ok is not True] == []
    named = by_name(lines)
    assert "reachable at http://127.0.0.1" in named["Vertex AI"].text and "doctor-project" in named["Vertex AI"].text
    assert named["models"].text.startswith(
        "answer: gemini-3.1-flash-image, gemini-3-pro-image, "
        "gemini-3.1-flash-lite-image, gemini-3.5-flash, gemini-3.5-flash-lite"
    )
    assert {r.path.rsplit(":", 1)[1] for r in emulator.requests} == {"countTokens"}  # no picture was made


@pytest.mark.parametrize(
    ("fault", "text", "fix"),
    [
        ("401", "the credentials were refused (401)", "gcloud auth application-default login"),
        (
            "403-disabled",
            "the Vertex AI API is not enabled in project doctor-project",
            "enable aiplatform.googleapis.com in project doctor-project",
        ),
        ("403-iam", "permission denied in project doctor-project", "your account needs the Vertex AI User role"),
    ],
)
def test_each_cloud_failure_gets_its_fix(home, emulator, fault, text, fix):
    emulator.faults.clear()
    emulator.faults.append(Fault(fault, count=20))
    line = by_name(doctor.run_checks(cloud_env(home, emulator)))["Vertex AI"]
    emulator.faults.clear()
    assert line.ok is False and line.text == text and fix in line.fix


def test_a_model_the_project_cannot_use_is_named(home, emulator):
    emulator.faults.clear()
    emulator.shut_down.add("gemini-3.1-flash-lite-image")
    try:
        line = by_name(doctor.run_checks(cloud_env(home, emulator)))["models"]
    finally:
        emulator.shut_down.discard("gemini-3.1-flash-lite-image")
    assert line.ok is False and "not available: gemini-3.1-flash-lite-image" in line.text


def test_an_unreachable_endpoint(home):
    line = by_name(
        doctor.run_checks({**home, "GOOGLE_CLOUD_PROJECT": "p", "IMAGEN_GIMP_ENDPOINT": "http://127.0.0.1:9"})
    )["Vertex AI"]
    assert line.ok is False and line.text == "cannot reach http://127.0.0.1:9"


def test_credentials_are_named_by_kind_and_path_never_by_content(home, tmp_path):
    adc = tmp_path / ".config" / "gcloud" / "application_default_credentials.json"
    adc.parent.mkdir(parents=True)
    adc.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "x",
                "client_secret": SECRET,
                "refresh_token": SECRET,
                "quota_project_id": "from-adc",
            }
        )
    )
    lines = doctor.run_checks(home, cloud=False)
    named = by_name(lines)
    assert named["credentials"].ok and str(adc) in named["credentials"].text
    assert "your Google account" in named["credentials"].text
    assert named["project"].ok and named["project"].text == "from-adc (named by the credentials file)"
    assert SECRET not in doctor.report(lines)


def test_a_broken_key_file_and_a_missing_one(home, tmp_path):
    key = tmp_path / "key.json"
    key.write_text("{not json")
    env = {**home, "GOOGLE_APPLICATION_CREDENTIALS": str(key)}
    assert "not a readable JSON key file" in by_name(doctor.run_checks(env, cloud=False))["credentials"].text
    env["GOOGLE_APPLICATION_CREDENTIALS"] = str(tmp_path / "gone.json")
    assert "does not exist" in by_name(doctor.run_checks(env, cloud=False))["credentials"].text


def test_gimp_folders_name_the_installation_they_run(home, tmp_path):
    gimp_folder(home, "3.0")
    gimp_folder(home, "3.2", installation=str(tmp_path / "elsewhere"))
    lines = [line for line in doctor.run_checks(home, cloud=False) if line.name.startswith("GIMP")]
    assert [(line.name, line.ok) for line in lines] == [("GIMP 3.0", True), ("GIMP 3.2", False)]
    assert "runs another installation" in lines[1].text and "install.sh" in lines[1].fix


def test_a_broken_settings_file_is_named(home, tmp_path):
    path = tmp_path / ".config" / "imagen-gimp" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("projekt = 1\n")
    line = by_name(doctor.run_checks(home, cloud=False))["settings"]
    assert line.ok is False and str(path) in line.text and "unknown key 'projekt'" in line.text


def test_this_computers_checks_fail_with_their_fix(home, monkeypatch, tmp_path):
    """Python outside the venv, a library that will not import, a worker that does not start, an
    engine not compiled yet: each is a PROBLEM line that says what to run."""
    monkeypatch.setattr(doctor.sys, "prefix", doctor.sys.base_prefix)
    assert doctor._python().ok is False and "install.sh" in doctor._python().fix
    monkeypatch.setattr(doctor, "LIBRARIES", doctor.LIBRARIES + (("NotALibrary", "not_a_library_at_all"),))
    line = doctor._libraries()
    assert line.ok is False and line.text == "cannot import NotALibrary" and "install.sh" in line.fix

    def broken(*_args, **_kwargs):
        return subprocess.CompletedProcess([], 1, "", "Traceback...\nImportError: numpy is broken\n")

    monkeypatch.setattr(doctor.subprocess, "run", broken)
    line = doctor._worker()
    assert line.ok is False and line.text == "stopped with exit code 1: ImportError: numpy is broken"
    monkeypatch.setattr(doctor, "REPO", tmp_path)
    line = doctor._engine()
    assert line.ok is False and "plugin.engine.warmup" in line.fix
