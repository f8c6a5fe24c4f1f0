"""Every Imagen procedure in a real GIMP 3.0 and 3.2 (Debian roots, headless), on the shipped photos.

Per GIMP version (conftest.gimp_root), one GIMP start runs all the main scenarios (driver.py),
others the fault scenarios (with a misbehaving worker), the Vertex scenarios (against the emulator),
the dialog scenario (under Xvfb) and the cancel scenario (the plug-in process killed mid-job); each
test below asserts one scenario's checks. They need root and debootstrap (installed with apt-get
when missing): CI has both, so there they run, never skip.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from emulator import Fault, quick_engine, start_in_thread
from plugin.hosts import procedures

from . import rootfs

HERE = Path(__file__).parent
MAIN_SCENARIOS = [
    "registration",
    "remove",
    "offset-layer",
    "cloud-only",
    "invalid",
    "expand",
    "background",
    "upscale",
    "last-values",
    "formats",
    "host-read",
]
FAULT_SCENARIOS = ["fault", "cancel-silent"]
VERTEX_SCENARIOS = ["vertex-blocked", "vertex", "vertex-refs"]  # the emulator blocks its first request
CANCEL_SCENARIOS = ["cancel"]  # its own GIMP, where the plug-in is killed; the first answer is slow
WARM_SCENARIOS = ["warm", "warm-cancel"]  # the warm worker, its own GIMP (and emulator: a cancel holds a call)
SLOW_ANSWER = 150.0  # seconds the emulator holds the cancelled request; the killer gives up after 120
DIALOG_SCENARIOS = ["dialog"]  # its own GIMP, with a display (Xvfb) for GimpUi
GCLOUD = "/tmp/imagen-dialog-gcloud"  # CLOUDSDK_CONFIG of the dialog session: a placeholder ADC file
SECRET = "not-a-real-secret-7f3a"  # in that file: the dialog must never show it
START_DISPLAY = r"""
rm -f /tmp/imagen-xvfb-display
Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>/tmp/imagen-xvfb-display >/tmp/imagen-xvfb.log 2>&1 &
for i in $(seq 1 100); do [ -s /tmp/imagen-xvfb-display ] && break; sleep 0.1; done
export DISPLAY=":$(cat /tmp/imagen-xvfb-display)"
"""


def _drive(
    root: rootfs.Root, scenarios: list[str], env: dict | None = None, before: str = "", options: dict | None = None
) -> dict:
    report = f"/tmp/imagen-report-{os.getpid()}-{time.time_ns()}.json"
    config = {**(options or {}), "report": report, "scenarios": scenarios}
    code = f"CONFIG = {json.dumps(config)}\n" + (HERE / "driver.py").read_text()
    started = time.time()
    # every Python warning is shown, so that a deprecation in the plug-in's code reaches the console
    done = root.gimp_batch(code, env={"PYTHONWARNINGS": "default", **(env or {})}, timeout=900, before=before)
    data = read_report(root, report, done)
    data["seconds"] = time.time() - started
    return data


def read_report(root, report: str, done) -> dict:
    """The report a GIMP session wrote (removed once read), with the session's console; a clear failure
    with the console's end when GIMP wrote none."""
    path = root.inside(report)
    if not path.exists():
        raise AssertionError(
            f"GIMP wrote no report (exit {done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    data = json.loads(path.read_text())
    path.unlink()
    data["console"] = done.stdout + done.stderr
    return data


@pytest.fixture(scope="module")
def gimp_reports(gimp_root):
    """Every session's report, in the root of this GIMP version (conftest.gimp_root)."""
    root = gimp_root
    main = _drive(root, MAIN_SCENARIOS)
    faults = _drive(root, FAULT_SCENARIOS, env={"IMAGEN_GIMP_WORKER_MODULE": "tests.gimp3.fault_worker"})
    dialog = _drive_dialog(root)
    # the chroot shares our loopback; the quick engine: these scenarios test the plug-in, not the engine
    server, url = start_in_thread(faults=[Fault("blocked", 1)], engine=quick_engine)
    try:
        vertex = _drive(
            root, VERTEX_SCENARIOS, env={"GOOGLE_CLOUD_PROJECT": "test-project", "IMAGEN_GIMP_ENDPOINT": url}
        )
    finally:
        server.stop()
    vertex["bodies"] = server.generate_bodies()
    vertex["records"] = [
        (r.model, r.location, r.status) for r in server.requests if r.path.endswith(":generateContent")
    ]
    cancel = _drive_cancel(root, CANCEL_SCENARIOS, {"IMAGEN_GIMP_WARM": "0"})  # the cold worker's cancel
    warm = _drive_cancel(root, WARM_SCENARIOS, {})
    warm["left"] = _warm_workers_left(root)
    pair = _drive_pair(root)
    print(
        f"\nGIMP {root.host.gimp} suite: root+install {root.prepared:.1f}s, "
        f"main session {main['seconds']:.1f}s, "
        f"fault session {faults['seconds']:.1f}s, dialog session {dialog['seconds']:.1f}s, "
        f"vertex session {vertex['seconds']:.1f}s, "
        f"cancel session {cancel['seconds']:.1f}s; timings {main['timings']} {vertex['timings']} "
        f"{faults['timings']} {cancel['timings']}"
    )
    return {
        "main": main,
        "fault": faults,
        "vertex": vertex,
        "cancel": cancel,
        "dialog": dialog,
        "warm": warm,
        "pair": pair,
        "version": root.host.version,
    }


def _drive_dialog(root: rootfs.Root) -> dict:
    """The dialog scenario under Xvfb, with Vertex AI looking set up: a project and an ADC file; the
    settings enable the Imagen (legacy) backend, so its Backend menus list it."""
    adc = root.inside(GCLOUD) / "application_default_credentials.json"
    adc.parent.mkdir(parents=True, exist_ok=True)
    (adc.parent / "config.toml").write_text("[imagen]\nenabled = true  # a project that keeps an endpoint\n")
    adc.write_text(
        json.dumps(
            {"type": "authorized_user", "client_id": "placeholder", "client_secret": SECRET, "refresh_token": SECRET}
        )
    )
    try:
        return _drive(
            root,
            DIALOG_SCENARIOS,
            before=START_DISPLAY,
            env={
                "GOOGLE_CLOUD_PROJECT": "my-proj",
                "CLOUDSDK_CONFIG": GCLOUD,
                "IMAGEN_GIMP_CONFIG": GCLOUD + "/config.toml",
            },
        )
    finally:
        adc.unlink(missing_ok=True)


def _warm_workers_left(root: rootfs.Root, seconds: float = 15.0) -> list[str]:
    """Warm workers still running in this root after its GIMP quit (they must end with it)."""
    deadline = time.monotonic() + seconds
    while True:
        left = []
        for entry in os.listdir("/proc"):
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                inside = os.path.realpath(f"/proc/{entry}/root") == os.path.realpath(root.path)
                state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, ValueError, IndexError):
                continue
            if "plugin.link.warm_server" in command and inside and state not in ("Z", "X"):
                left.append(f"{entry}: {command}")
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _drive_pair(root: rootfs.Root) -> dict:
    """Two GIMPs of the same user at once (gimp-console -n), each with a warm-pair session."""
    stamp = f"{os.getpid()}-{time.time_ns()}"
    marks = [f"/tmp/imagen-pair-{stamp}-{index}" for index in (0, 1)]
    reports: dict[int, dict] = {}

    def one(index: int) -> None:
        reports[index] = _drive(root, ["warm-pair"], options={"mark": marks[index], "peer": marks[1 - index]})

    threads = [threading.Thread(target=one, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(900)
    for mark in marks:
        root.inside(mark).unlink(missing_ok=True)
    return {"reports": [reports.get(0), reports.get(1)], "left": _warm_workers_left(root)}


def _drive_cancel(root: rootfs.Root, scenarios: list[str], extra: dict) -> dict:
    """The cancel scenario: the emulator holds the first request; a file tells the driver it does.

    The driver (in GIMP) kills the plug-in once that file exists, so the kill surely comes while
    the worker waits on the service, not before its request or after the answer.
    """
    held = f"/tmp/imagen-request-held-{os.getpid()}-{time.time_ns()}"
    server, url = start_in_thread(faults=[Fault("slow", 1, seconds=SLOW_ANSWER)], engine=quick_engine)
    watcher = threading.Thread(target=_announce_held_request, args=(server, root.inside(held)), daemon=True)
    watcher.start()
    try:
        report = _drive(
            root,
            scenarios,
            env={"GOOGLE_CLOUD_PROJECT": "test-project", "IMAGEN_GIMP_ENDPOINT": url, **extra},
            options={"held": held},
        )
    finally:
        server.stop()
        watcher.join(5)
        root.inside(held).unlink(missing_ok=True)
    report["bodies"] = server.generate_bodies()
    return report


def _announce_held_request(server, flag: Path) -> None:
    """Create `flag` as soon as the emulator has a whole :predict request (it then holds it, slow)."""
    while not server.stopping.wait(0.05):
        if server.generate_bodies():
            flag.write_text("held")
            return


# What the plug-in must not cause on the console, in any GIMP. GLib warnings and criticals are
# counted when the process that printed them is ours (the plug-in runs as imagen_gimp.py; the
# dialog scenario builds our dialogs in the driver, which GimpUi.init names imagen-gimp-test); GIMP's
# own lines (gimp-console's Gimp-Core-CRITICALs at a 3.2 start) are not ours to fix.
OURS = re.compile(r"^\((?:imagen_gimp\.py|imagen-gimp[\w-]*):\d+\): [\w-]+-(?:WARNING|CRITICAL) \*\*")
DIALOG_CHECKS = re.compile(r"^Procedure 'python-fu-imagen-\S+': (?:(?:no|duplicate) mnemonic|\d+ mnemonics)")
PYTHON_WARNING = re.compile(r"(?:/opt/imagen-gimp/(?:plugin|ui)/\S+|imagen_gimp\.py):\d+: \w*Warning: ")
GIMP_OWN = ("gimp_flush(): error: Broken pipe",)  # 3.0.4 prints it when any plug-in exits (file-jpeg too)


def _plugin_warnings(console: str) -> list[str]:
    return [
        line
        for line in console.splitlines()
        if (OURS.search(line) or DIALOG_CHECKS.search(line) or PYTHON_WARNING.search(line))
        and not any(text in line for text in GIMP_OWN)
    ]


@pytest.mark.parametrize("session", ["main", "fault", "vertex", "cancel", "dialog", "warm"])
def test_gimp3_plugin_causes_no_warnings_on_the_console(gimp_reports, session):
    """No deprecation warning, Gimp-/Gtk-WARNING or -CRITICAL, and no mnemonic complaint from the
    dialogs (3.2 prints "no mnemonic for property ..." for a field without one)."""
    console = gimp_reports[session]["console"]
    assert not _plugin_warnings(console), "\n".join(_plugin_warnings(console))


def _assert_scenario(report: dict, scenario: str) -> None:
    errors = [e for e in report["errors"] if e["scenario"] == scenario]
    assert not errors, errors[0]["traceback"] + "\n" + report["console"][-3000:]
    checks = [c for c in report["checks"] if c["scenario"].split("/")[0] == scenario]
    assert checks, f"scenario {scenario} recorded no checks\n{report['console'][-3000:]}"
    failed = [c for c in checks if not c["ok"]]
    assert not failed, "\n".join(f"{c['scenario']}: {c['name']}: {c['detail']}" for c in failed) + (
        "\n--- console ---\n" + report["console"][-3000:]
    )


@pytest.mark.parametrize("scenario", MAIN_SCENARIOS)
def test_gimp3_scenario(gimp_reports, scenario):
    _assert_scenario(gimp_reports["main"], scenario)


@pytest.mark.parametrize("scenario", VERTEX_SCENARIOS)
def test_gimp3_vertex_emulator(gimp_reports, scenario):
    _assert_scenario(gimp_reports["vertex"], scenario)


@pytest.mark.parametrize("scenario", FAULT_SCENARIOS)
def test_gimp3_faults(gimp_reports, scenario):
    _assert_scenario(gimp_reports["fault"], scenario)


@pytest.mark.parametrize(("prompt", "variations"), [("a mug on a beach", 2), ("a cat with a mug", 1)])
def test_gimp3_reference_layers_reach_the_service(gimp_reports, prompt, variations):
    """The emulator received the reference layers' own pixels, whole, as the driver read them in GIMP,
    in each variation's request."""
    vertex = gimp_reports["vertex"]
    bodies = [b for b in vertex["bodies"] if prompt in b["contents"][0]["parts"][-1].get("text", "")]
    assert len(bodies) == variations, [b["contents"][0]["parts"][-1].get("text") for b in vertex["bodies"]]
    for body in bodies:
        parts = body["contents"][0]["parts"]
        assert "keep its identity" in parts[-1]["text"]
        sent = [_rgb_digest(part["inlineData"]["data"]) for part in parts if "inlineData" in part]
        assert sent == vertex["references"][prompt]


def test_gimp3_gemini_requests_go_to_todays_models_at_global(gimp_reports):
    """Automatic on a project with no settings file: nothing goes to a shut-down model."""
    records = gimp_reports["vertex"]["records"]
    assert records and {model for model, _location, _status in records} <= {
        "gemini-3.1-flash-image",
        "gemini-3.5-flash",
        "gemini-3-pro-image",
        "gemini-3.1-flash-lite-image",
        "gemini-3.5-flash-lite",
    }
    assert {location for _model, location, _status in records} == {"global"}
    assert all(status in (200,) for _model, _location, status in records[1:])  # the first is the block


def test_gimp3_check_setup_reports_every_line(gimp_reports):
    report = gimp_reports["vertex"]["setup"]
    for line in (
        "OK      Python:",
        "OK      worker:",
        "OK      credentials: none needed",
        "OK      project: test-project",
        "OK      Vertex AI: reachable",
        "OK      models: answer: gemini-3.1-flash-image",
    ):
        assert line in report, report


def _rgb_digest(data: str) -> str:
    raw = base64.b64decode(data.replace("-", "+").replace("_", "/") + "=" * (-len(data) % 4))
    picture = Image.open(io.BytesIO(raw)).convert("RGB")
    return hashlib.sha1(picture.tobytes()).hexdigest()


def test_gimp3_messages_reach_the_console(gimp_reports):
    """Gimp.message text (what the user sees) is printed in batch mode; the cloud-only hint is there."""
    assert "Vertex AI" in gimp_reports["main"]["console"]


@pytest.mark.parametrize("scenario", CANCEL_SCENARIOS)
def test_gimp3_cancel_kills_the_worker_and_leaves_the_image(gimp_reports, scenario):
    """GIMP's Cancel SIGKILLs the plug-in; driver.cancel_mid_job stages the kill and checks the rest.

    The worker dies with the plug-in, the calling script gets an error, GIMP keeps working and
    the image (layers, pixels, undo history) is as before; then a retry succeeds. The fault
    session's cancel-silent does the same with a worker that writes nothing while it computes.
    """
    report = gimp_reports["cancel"]
    _assert_scenario(report, scenario)
    assert len(report["bodies"]) == 2  # the cancelled request and the retry's; nothing sent again


@pytest.mark.parametrize("session", ["cancel", "fault"])
def test_gimp3_cancel_leaves_no_undo_group_open(gimp_reports, session):
    """GIMP closes the undo groups a killed plug-in left open, and says so; ours must open none."""
    console = gimp_reports[session]["console"]
    assert "Plug-in crashed" in console  # the kill did happen in this session
    assert "left image undo in inconsistent state" not in console, console[-3000:]


def test_gimp3_cancel_leaves_no_copy_of_the_picture(gimp_reports):
    """After a Cancel no job folder (the selected area's pixels, job.json) stays in the temp folder.

    The killed plug-in cannot remove it; the next job (here the retry) removes every job folder
    whose lock nobody holds (plugin/link/jobs.py sweep_stale_jobs).
    """
    cancel = gimp_reports["cancel"]["cancel"]["cancel"]
    assert "job_folder_left" in cancel and not cancel["job_folder_left"], cancel


# What the dialog's cost line says with Vertex AI set up (project my-proj) and the backend on
# Automatic, for a 451x300 image with a 120x100 selection, as the driver read it in GIMP after building
# each dialog or turning a widget (variations to 3, then each backend, then the tiers).
DIALOG_LINES = {
    "insert": "Automatic: about $0.04: 1 image at 512 on gemini-3.1-flash-image, billed to project my-proj.",
    "insert variations 3": "Automatic: about $0.14: 3 images at 512 on gemini-3.1-flash-image, billed to "
    "project my-proj.",
    "insert gemini": "About $0.14: 3 images at 512 on gemini-3.1-flash-image, billed to project my-proj.",
    "insert local": "The local engine cannot do this offline; choose Automatic or Gemini on Vertex AI.",
    "insert imagen": "Imagen (legacy) bills each image to project my-proj, but Google shut Imagen down in 2026: "
    "the run stops unless your project keeps an Imagen endpoint.",
    "insert quality": "Automatic: about $0.40: 3 images at 1K on gemini-3-pro-image, billed to project my-proj.",
    "insert fast": "Automatic: about $0.10: 3 images at 1K on gemini-3.1-flash-lite-image, billed to project my-proj.",
    "background": "Automatic: runs offline on this computer: no charge.",
    "background prompt": "Automatic: about $0.04: 1 image at 512 on gemini-3.1-flash-image, billed to project my-proj.",
    "describe": "Automatic: 1 caption from gemini-3.5-flash for a fraction of a cent (text tokens), billed to "
    "project my-proj.",
    "generate": "Automatic: about $0.07: 1 image at 1K on gemini-3.1-flash-image, billed to project my-proj.",
}


def test_gimp3_dialogs_build_with_a_cost_line(gimp_reports):
    _assert_scenario(gimp_reports["dialog"], "dialog")


@pytest.mark.parametrize("key", sorted(DIALOG_LINES))
def test_gimp3_dialog_cost_line_follows_the_widgets(gimp_reports, key):
    assert gimp_reports["dialog"]["dialog"].get(key) == DIALOG_LINES[key]


def test_gimp3_dialog_reads_the_settings_like_the_worker(gimp_reports):
    """In GIMP's own Python the cheap check finds the project and the ADC file, and every dialog
    shows what ui.cost.run_cost says for its defaults; the ADC file's secrets appear nowhere."""
    from plugin import catalogue
    from plugin.geometry import Rect
    from ui import cost

    lines = gimp_reports["dialog"]["dialog"]
    assert lines["setup"] == ["auto", "my-proj", "", True, ""]
    setup = cost.CloudSetup(*lines["setup"], catalogue=catalogue.load())
    geometry = ((451, 300), Rect(0, 0, 451, 300), Rect(100, 80, 120, 100))
    for spec in (spec for spec in procedures.PROCEDURES if spec.params):  # no parameters: no dialog
        defaults = {param.name: param.default for param in spec.params}
        area = cost.area_of(spec.action, defaults, *geometry)
        assert lines[spec.action] == cost.run_cost(spec.action, defaults, setup, area), spec.action
    assert not [text for text in lines.values() if SECRET in str(text)]
    assert SECRET not in gimp_reports["dialog"]["console"]


@pytest.mark.parametrize("scenario", WARM_SCENARIOS)
def test_gimp3_warm_worker(gimp_reports, scenario):
    """A warm second call, a worker killed between two calls, Cancel during a warm job (driver.py)."""
    _assert_scenario(gimp_reports["warm"], scenario)


def test_gimp3_warm_worker_replaced_says_so(gimp_reports):
    from plugin.link import warm_client

    assert warm_client.STOPPED_NOTE in gimp_reports["warm"]["console"]


def test_gimp3_quitting_leaves_no_warm_worker(gimp_reports):
    assert gimp_reports["warm"]["checks"] and gimp_reports["warm"]["left"] == []
    assert gimp_reports["pair"]["left"] == []


def test_gimp3_two_instances_each_have_their_worker(gimp_reports):
    reports = gimp_reports["pair"]["reports"]
    assert all(reports), reports
    for report in reports:
        _assert_scenario(report, "warm-pair")
    servers = [report["warm"]["servers"] for report in reports]
    assert servers[0] != servers[1] and all(len(pids) == 1 for pids in servers), servers
