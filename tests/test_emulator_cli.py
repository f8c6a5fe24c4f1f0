"""The documented command, `python -m emulator --port N` (also `imagen-gimp-emulator`): it serves with
its options, stops cleanly on SIGTERM, and a port in use gives one line on stderr and exit status 2."""

from __future__ import annotations

import base64
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.emulator_support import encoded, gradient, model_path, post

COMMAND = [sys.executable, "-m", "emulator"]


def body(text: str = "a fox") -> dict:
    return {
        "contents": [{"role": "user", "parts": [{"text": text}]}],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]},
    }


@pytest.fixture
def serving(request):
    """Start the command with the test's arguments on a free port; yields (process, url)."""
    process = subprocess.Popen(
        COMMAND + ["--port", "0", "--quiet", "--quick-engine", *request.param],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert "http://127.0.0.1:" in banner, process.stderr.read()
        url = banner.split("on ", 1)[1].split(" ", 1)[0]
        yield process, url
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


@pytest.mark.parametrize(
    "serving",
    [
        [
            "--fault",
            "503:1",
            "--fault",
            "IMAGE_SAFETY:1@gemini-3-pro-image",
            "--shut-down",
            "gemini-3.1-flash-lite-image",
            "--drafts",
            "1",
        ]
    ],
    indirect=True,
)
def test_serves_with_faults_shut_down_models_and_drafts(serving):
    process, url = serving
    flash = model_path("gemini-3.1-flash-image")
    assert post(url, flash, body())[0] == 503
    status, reply = post(url, flash, body())
    assert (
        status == 200
        and sum(1 for p in reply["candidates"][0]["content"]["parts"] if p.get("thought") and "inlineData" in p) == 1
    )
    status, reply = post(url, model_path("gemini-3-pro-image"), body())
    assert status == 200 and reply["candidates"][0]["finishReason"] == "IMAGE_SAFETY"
    assert post(url, model_path("gemini-3.1-flash-lite-image"), body())[0] == 404
    assert (
        post(
            url, model_path("imagen-4.0-generate-001", "predict", "us-central1"), {"instances": [{"prompt": "a fox"}]}
        )[0]
        == 404
    )
    process.terminate()
    assert process.wait(timeout=10) == 0


@pytest.mark.parametrize("serving", [["--imagen", "--delay", "0.01"]], indirect=True)
def test_imagen_switch(serving):
    _, url = serving
    picture = {"bytesBase64Encoded": base64.b64encode(encoded(gradient(32, 24))).decode()}
    status, reply = post(
        url, model_path("imagetext@001", "predict", "us-central1"), {"instances": [{"image": picture}]}
    )
    assert status == 200 and reply["predictions"][0].startswith("emulator caption 1")


def test_state_stays_in_memory(tmp_path):
    """A session leaves nothing in the user's folders (HOME and XDG dirs point at an empty folder)."""
    import os

    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local"),
    }
    process = subprocess.Popen(
        COMMAND + ["--port", "0", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        url = process.stdout.readline().split("on ", 1)[1].split(" ", 1)[0]
        assert post(url, model_path("gemini-3.1-flash-image"), body())[0] == 200
        count = model_path("gemini-3.1-flash-image", "countTokens")
        assert post(url, count, {"contents": body()["contents"]})[0] == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()
    assert list(home.iterdir()) == []


def test_a_port_in_use_is_one_line_and_exit_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(COMMAND + ["--port", str(port)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "in use" in lines[0]
    assert "Traceback" not in done.stderr


def test_help_says_what_each_option_does():
    done = subprocess.run(COMMAND + ["--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for option in ("--port", "--fault", "--shut-down", "--imagen", "--delay", "--drafts", "--quick-engine", "--quiet"):
        assert option in text
    for kind in (
        "401",
        "403-disabled",
        "403-iam",
        "404",
        "429",
        "500",
        "503",
        "slow",
        "malformed",
        "blocked",
        "text-only",
        "filter",
        "403-person",
    ):
        assert f"{kind}:" in text
    assert "IMAGE_SAFETY IMAGE_PROHIBITED_CONTENT IMAGE_RECITATION IMAGE_OTHER NO_IMAGE RECITATION:" in text


def test_a_bad_fault_is_refused_before_serving():
    done = subprocess.run(COMMAND + ["--port", "0", "--fault", "explode:1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "fault kind 'explode'" in done.stderr and "Traceback" not in done.stderr


def test_the_console_script_is_installed():
    script = Path(sys.executable).parent / "imagen-gimp-emulator"
    if not script.exists():
        pytest.skip("the package is not installed in this interpreter's environment")
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("usage: imagen-gimp-emulator")
