"""plugin/hosts/* and plugin/regions.py: the host logic both GIMP adapters share, tested without GIMP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from host_support import FakeHost

from plugin import actions, errors, ops, regions
from plugin.geometry import Rect
from plugin.hosts import job_client, paste_plan, procedures
from plugin.hosts import operation as host_op  # the dialog values -> operation
from plugin.link import jobfiles, jobs, worker_client

REPO = Path(__file__).resolve().parents[1]


def values_for(action: str, **overrides) -> dict:
    proc = procedures.PROCEDURE_BY_ACTION[action]
    values = {param.name: param.default for param in proc.params}
    values.update({key.replace("_", "-"): value for key, value in overrides.items()})
    return values


# -- parameter table ------------------------------------------------------------------------------

@pytest.mark.parametrize("action", sorted(procedures.PROCEDURE_BY_ACTION))
def test_every_operation_field_is_exposed_or_fixed(action):
    proc = procedures.PROCEDURE_BY_ACTION[action]
    exposed = {procedures.field_name(p.name) for p in proc.params if not p.host_only}
    fixed = set(actions.BY_NAME[action].fixed)
    assert exposed | fixed == set(ops.field_names(action))


@pytest.mark.parametrize("action", sorted(procedures.PROCEDURE_BY_ACTION))
def test_defaults_build_a_valid_operation_where_no_text_is_required(action):
    values = values_for(action, prompt="a red kite", question="", classes="car")
    if action == "outpaint":
        values["expand-mode"] = "aspect"
    operation = host_op.build_operation(action, values, canvas_size=(400, 300))
    op = ops.from_dict(operation)  # the worker's validation accepts what the host sends
    assert op.action == action


def test_defaults_match_the_dataclasses():
    for proc in procedures.PROCEDURES:
        cls = ops.OPERATIONS[proc.action]
        for param in proc.params:
            field = procedures.field_name(param.name)
            if param.host_only or field not in cls.__dataclass_fields__ or param.name == "seed":
                continue
            default = cls.__dataclass_fields__[field].default
            value = procedures.choice_value(param, param.default) if param.kind == "choice" else param.default
            if param.kind == "names":
                value = tuple(host_op.split_names(value))
            assert value == default, (proc.action, field)


def test_choice_nicks_are_gimp_identifiers():
    for proc in procedures.PROCEDURES:
        for param in proc.params:
            if param.kind == "choice":
                for nick, _value, _label in param.extra:
                    assert nick[0].isalpha() and all(c.isalnum() or c == "-" for c in nick), nick


def test_procedure_names_and_menu():
    assert [p.name for p in procedures.PROCEDURES] == [
        "python-fu-imagen-" + n
        for n in ("generate", "inpaint", "remove", "expand", "background", "edit", "upscale", "describe",
                  "customize", "harmonize", "refine", "run-again", "subject")]
    assert procedures.MENU_PATH == "<Image>/Filters/Imagen"


# -- values -> operation --------------------------------------------------------------------------

def test_seed_zero_means_random_and_choices_become_values():
    op = host_op.build_operation("generate", values_for("generate", prompt="x", seed=0,
                                                       aspect_ratio="landscape-16-9"))
    assert op["seed"] is None and op["aspect_ratio"] == "16:9" and "into_image" not in op
    op = host_op.build_operation("upscale", values_for("upscale", factor="x4"))
    assert op == {"action": "upscale", "factor": 4, "backend": "auto", "model": "", "tier": "standard",
                  "max_size": "auto", "offline_model": "waifu2x", "variations": 1, "seed": None}
    op = host_op.build_operation("insert", values_for("insert", prompt="x", tier="quality", max_size="size-2k"))
    assert (op["tier"], op["max_size"]) == ("quality", "2K")
    assert host_op.build_operation("insert", values_for("insert", prompt="x", backend="vertex"))["backend"] == "imagen"


def test_expand_to_an_aspect_ratio_with_an_anchor():
    op = host_op.build_operation("outpaint", values_for("outpaint", expand_mode="aspect",
                                                       aspect_ratio="landscape-16-9", anchor="left"),
                                canvas_size=(451, 300))
    assert (op["left"], op["top"], op["bottom"]) == (0, 0, 0)
    assert op["right"] == 534 - 451


def test_expand_by_margins_and_when_already_at_the_ratio():
    op = host_op.build_operation("outpaint", values_for("outpaint", expand_mode="margins", left=10, bottom=5))
    assert (op["left"], op["top"], op["right"], op["bottom"]) == (10, 0, 0, 5)
    with pytest.raises(errors.HostError, match="already has the aspect ratio"):
        host_op.build_operation("outpaint", values_for("outpaint", aspect_ratio="square"),
                               canvas_size=(300, 300))


def test_generate_from_references_builds_its_operation():
    op = host_op.build_operation("customize", values_for(
        "customize", prompt="a mug on a beach", reference_layers=" Mug photo,, sketch \n Mug photo",
        kind="style", subject_type="product", aspect_ratio="portrait-9-16", into_image=True))
    assert op["reference_layers"] == ["Mug photo", "sketch"] and op["kind"] == "style"
    assert op["aspect_ratio"] == "9:16" and op["subject_type"] == "product" and "into_image" not in op


def test_unknown_choice_is_a_host_error():
    with pytest.raises(errors.HostError, match="backend"):
        host_op.build_operation("remove", values_for("remove", backend="cloud9"))


# -- region of interest ---------------------------------------------------------------------------

def remove_op(**kw) -> dict:
    return host_op.build_operation("remove", values_for("remove", **kw))


def test_masked_actions_read_only_the_selection_plus_bleed_and_context():
    layer = Rect(0, 0, 6000, 4000)
    plan = regions.plan_input("remove", remove_op(grow=4, feather=8, context=64), layer, layer,
                             Rect(1000, 1000, 1000, 1000))
    assert plan.rect == Rect(1000 - 76, 1000 - 76, 1000 + 152, 1000 + 152)
    assert plan.read_selection and not plan.transparent_outside


def test_roi_is_clipped_to_an_offset_layer_partly_off_canvas():
    canvas = Rect(0, 0, 600, 400)
    layer = Rect(-120, 200, 451, 300)  # sticks out left and bottom
    plan = regions.plan_input("remove", remove_op(grow=0, feather=0, context=100), layer, canvas,
                             Rect(0, 250, 50, 50))
    assert plan.rect == Rect(-100, 200, 250, 200)  # reaches off canvas on the layer, never past it


def test_masked_actions_without_a_usable_selection_explain_what_to_do():
    layer = Rect(0, 0, 100, 100)
    with pytest.raises(errors.HostError, match="needs a selection"):
        regions.plan_input("remove", remove_op(), layer, layer, None)
    with pytest.raises(errors.HostError, match="does not touch the active layer"):
        regions.plan_input("insert", remove_op(), Rect(200, 200, 10, 10), Rect(0, 0, 300, 300),
                          Rect(0, 0, 5, 5))


def test_other_actions_read_what_they_need():
    layer, canvas = Rect(10, 20, 300, 200), Rect(0, 0, 400, 300)
    sel = Rect(50, 50, 40, 30)
    plan = regions.InputPlan

    def planned(action, selection):
        return regions.plan_input(action, {}, layer, canvas, selection)

    assert planned("outpaint", None) == plan(canvas, True, False, True)
    assert planned("upscale", sel).rect == sel
    assert planned("upscale", None).rect == layer
    assert planned("background", None) == plan(layer, True, False, False)
    assert planned("background", sel) == plan(layer, True, True, False)
    assert planned("edit", sel) == plan(sel, True, True, False)
    assert planned("generate", sel).rect is None
    assert planned("customize", sel) == plan(None, False, False, False)  # references are read whole


# -- reference layers -----------------------------------------------------------------------------

LAYERS = ["Background", "Mug photo", "Sketch", "Copy, 2", "Group", "Inside group"]


def test_references_are_the_typed_names_else_the_selected_layers():
    assert job_client.reference_names("subject", "Sketch, Mug photo", ["Background"], LAYERS) == [
        "Sketch", "Mug photo"]
    assert job_client.reference_names("subject", "", ["Background", "Sketch"], LAYERS) == ["Background", "Sketch"]
    assert job_client.reference_names("scribble", "  ", ["Sketch"], LAYERS) == ["Sketch"]
    assert job_client.reference_names("style", "Copy, 2", [], LAYERS) == ["Copy, 2"]  # a name with a comma
    assert job_client.reference_names("subject", "Sketch,Copy, 2 , Group", [], LAYERS) == [
        "Sketch", "Copy, 2", "Group"]
    assert job_client.reference_names("subject", "Inside group", [], LAYERS) == ["Inside group"]


def test_reference_mistakes_are_explained_before_anything_is_read():
    with pytest.raises(errors.HostError, match="no layer called 'Skecth'.*layers here: 'Background'"):
        job_client.reference_names("subject", "Sketch, Skecth", [], LAYERS)
    with pytest.raises(errors.HostError, match="select the layer in the Layers dialog"):
        job_client.reference_names("subject", "", [], LAYERS)
    with pytest.raises(errors.HostError, match="a scribble reference is one layer, and 2 were chosen"):
        job_client.reference_names("scribble", "", ["Sketch", "Background"], LAYERS)
    with pytest.raises(errors.HostError, match="an edge reference is one layer"):
        job_client.reference_names("canny", "Sketch, Background", [], LAYERS)
    with pytest.raises(errors.HostError, match="at most 4 layers"):
        job_client.reference_names("subject", ", ".join(LAYERS[:5]), [], LAYERS)


# -- results -> paste plan ------------------------------------------------------------------------

def write_result(folder: Path, layers: list[dict], **extra) -> dict:
    entries = []
    for index, layer in enumerate(layers):
        width, height = layer["width"], layer["height"]
        (folder / f"layer-{index}.rgba").write_bytes(b"\1" * width * height * 4)
        provenance = {"action": "remove", "seed": index, "api_key": "SECRET"}
        entry = {"name": f"Remove Object #{index + 1} (seed {index})", "pixels": f"layer-{index}.rgba",
                 "mask": None, "provenance": provenance, **layer}
        if layer.get("with_mask"):
            (folder / f"layer-{index}-mask.gray").write_bytes(b"\xff" * width * height)
            entry["mask"] = f"layer-{index}-mask.gray"
        entries.append(entry)
    result = {"group": "Remove Object", "layers": entries, "texts": [], "notes": ["a note"], **extra}
    jobfiles.write_json(str(folder / "result.json"), result)
    return result


def where(action, rect=None, into_image=False):
    """The placement of a job planned to read `rect` (None: nothing read)."""
    return regions.placement(action, regions.InputPlan(rect, rect is not None, False, False), into_image)


def test_paste_plan_places_layers_at_image_coordinates(tmp_path):
    result = write_result(tmp_path, [{"x": 5, "y": 6, "width": 4, "height": 3, "with_mask": True},
                                     {"x": 5, "y": 6, "width": 4, "height": 3}])
    plan = paste_plan.plan_paste("remove", {"prompt": ""}, str(tmp_path), result, where("remove", Rect(100, 200, 8, 6)))
    assert plan.target == "layers" and plan.group_name == "Remove Object"
    assert [(lp.x, lp.y, lp.visible) for lp in plan.layers] == [(105, 206, True), (105, 206, False)]
    assert plan.layers[0].mask_path.endswith("layer-0-mask.gray") and plan.layers[1].mask_path is None
    assert plan.notes == ["a note"]
    provenance = json.loads(plan.layers[0].parasite)
    assert provenance["seed"] == 0 and "api_key" not in provenance and provenance["plugin_version"]


def test_paste_plan_for_new_images_and_outpaint(tmp_path):
    result = write_result(tmp_path, [{"x": 0, "y": 0, "width": 8, "height": 6}])
    plan = paste_plan.plan_paste("upscale", {}, str(tmp_path), result, where("upscale", Rect(40, 50, 8, 6)))
    assert plan.target == "new-image" and plan.size == (8, 6)
    assert (plan.layers[0].x, plan.layers[0].y) == (0, 0)
    plan = paste_plan.plan_paste("generate", {"prompt": "p"}, str(tmp_path), result, where("generate", None, True))
    assert plan.target == "layers"
    result = write_result(tmp_path, [{"x": -10, "y": 0, "width": 8, "height": 6}], canvas=[10, 0, 5, 0])
    plan = paste_plan.plan_paste("outpaint", {}, str(tmp_path), result, where("outpaint", None))
    assert plan.canvas == (10, 0, 5, 0) and plan.layers[0].x == -10  # the host shifts it by the margin


def test_paste_plan_for_references_and_captions(tmp_path):
    customize_plan = regions.plan_input("customize", {}, Rect(30, 40, 8, 6), Rect(0, 0, 99, 99), None)
    result = write_result(tmp_path, [{"x": 0, "y": 0, "width": 8, "height": 6},
                                     {"x": 0, "y": 0, "width": 8, "height": 6}])
    plan = paste_plan.plan_paste("customize", {"prompt": "p"}, str(tmp_path), result, where("customize", None))
    assert plan.target == "new-image" and plan.size == (8, 6) and len(plan.layers) == 2
    plan = paste_plan.plan_paste("customize", {"prompt": "p"}, str(tmp_path), result,
                                 where("customize", customize_plan.rect, True))
    assert plan.target == "layers" and (plan.layers[0].x, plan.layers[0].y) == (0, 0)
    plan = paste_plan.plan_paste("describe", {}, str(tmp_path), {"layers": [], "texts": ["A cat."]},
                                 where("describe", None))
    assert plan.target == "text" and paste_plan.describe_text("Describe", plan.texts) == "A cat."


def test_paste_plan_for_text_and_for_nothing(tmp_path):
    plan = paste_plan.plan_paste("describe", {}, str(tmp_path), {"layers": [], "texts": ["a cat"]},
                                 where("describe", None))
    assert plan.target == "text" and paste_plan.describe_text("Describe Image", plan.texts) == "a cat"
    with pytest.raises(errors.HostError, match="no picture"):
        paste_plan.plan_paste("remove", {}, str(tmp_path), {"layers": []}, where("remove", None))


def test_group_name_from_prompt_when_the_worker_gives_none(tmp_path):
    assert actions.group_name("insert", "a red hat") == "Inpaint: a red hat"
    long = actions.group_name("insert", "x" * 100)
    assert len(long) < 60 and long.endswith("\u2026")
    result = write_result(tmp_path, [{"x": 0, "y": 0, "width": 8, "height": 6}])
    del result["group"]
    assert paste_plan.plan_paste("insert", {"prompt": "a red hat"}, str(tmp_path), result,
                                 where("insert", Rect(0, 0, 8, 6))).group_name == "Inpaint: a red hat"


# -- worker ---------------------------------------------------------------------------------------

FAKE = textwrap.dedent("""
    import json, os, sys, time
    folder = sys.argv[1]
    mode = json.load(open(os.path.join(folder, "job.json")))["operation"]["prompt"]
    print(json.dumps({"progress": 0.25, "stage": "working"}), flush=True)
    print("a log line", flush=True)
    if mode == "user":
        print(json.dumps({"error": "fix the thing", "kind": "config"}), flush=True); sys.exit(2)
    if mode == "crash":
        sys.stderr.write("Traceback: boom\\n"); sys.exit(1)
    if mode == "slow":
        for i in range(100):
            print(json.dumps({"progress": i / 100.0, "stage": "slow"}), flush=True); time.sleep(0.05)
    sys.stderr.write("x" * 200000)  # a lot of stderr must not block the worker
    print(json.dumps({"progress": 1.0, "stage": "done"}), flush=True)
""")


def run_fake(tmp_path: Path, prompt: str, on_progress=None) -> worker_client.WorkerOutcome:
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE)
    folder = jobs.make_job({"action": "remove", "prompt": prompt}, 2, 2, (0, 0), b"\0" * 16, b"\xff" * 4)
    try:
        return worker_client.run_worker(sys.executable, str(REPO), folder, on_progress,
                                 command=[sys.executable, str(script), folder])
    finally:
        jobs.remove_job(folder)
        assert not os.path.exists(folder)


def test_worker_progress_lines_reach_the_host(tmp_path):
    seen = []
    outcome = run_fake(tmp_path, "ok", lambda fraction, stage: seen.append((fraction, stage)))
    assert outcome.returncode == 0 and not outcome.error and not outcome.cancelled
    assert seen[0] == (0.25, "working") and seen[-1] == (1.0, "done")
    assert worker_client.outcome_error("Remove Object", outcome) is None


def test_user_errors_and_crashes_become_messages(tmp_path):
    outcome = run_fake(tmp_path, "user")
    message = worker_client.outcome_error("Remove Object", outcome)
    assert message.startswith("Remove Object: fix the thing.") and "Credentials" in message
    assert "not changed" in message
    outcome = run_fake(tmp_path, "crash")
    message = worker_client.outcome_error("Remove Object", outcome)
    assert "crashed (exit code 1)" in message and "Traceback: boom" in message
    assert "not something you did" in message and not worker_client.users_to_fix(outcome)


def test_a_crash_is_a_bug_with_its_log_kept(tmp_path, monkeypatch):
    """Anything but a named kind of user error is the plug-in's fault: said so, and the log is kept."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    outcome = worker_client.WorkerOutcome(2, "list index out of range", "ValueError", False, "Traceback: deep", 0.1)
    message = worker_client.outcome_error("Remove Object", outcome)
    log = tmp_path / "cache" / "imagen-gimp" / "last-error.log"
    assert "bug in the plug-in" in message and str(log) in message and log.read_text() == "Traceback: deep"
    assert not worker_client.users_to_fix(outcome)
    named = outcome._replace(kind="selection", error="The selection is empty")
    assert worker_client.users_to_fix(named) and "bug" not in worker_client.outcome_error("Remove Object", named)


def test_cancel_kills_the_worker(tmp_path):
    calls = []

    def cancel_at_third(fraction, stage):
        calls.append(fraction)
        return len(calls) < 3

    outcome = run_fake(tmp_path, "slow", cancel_at_third)
    assert outcome.cancelled and outcome.seconds < 3 and len(calls) == 3
    assert "cancelled" in worker_client.outcome_error("Upscale", outcome)


def test_worker_python_is_the_project_venv(tmp_path):
    with pytest.raises(errors.HostError, match="install.sh"):
        worker_client.worker_python(str(tmp_path), environ={})
    venv_python = tmp_path / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("")
    assert worker_client.worker_python(str(tmp_path), environ={}) == str(venv_python)
    assert worker_client.worker_python(str(tmp_path), environ={"IMAGEN_GIMP_PYTHON": "/x/python"}) == "/x/python"


def test_repo_root_follows_the_plugin_symlink(tmp_path):
    link_dir = tmp_path / "plug-ins" / "imagen_gimp"
    link_dir.mkdir(parents=True)
    (link_dir / "imagen_gimp.py").symlink_to(REPO / "imagen_gimp.py")
    assert worker_client.repo_root(str(link_dir / "imagen_gimp.py")) == str(REPO)


def test_progress_fraction_stays_in_the_bar():
    assert job_client.progress_fraction(-1) == 0.05 and job_client.progress_fraction(2) == pytest.approx(0.9)


def _python27_works() -> bool:
    if not shutil.which("python2.7"):
        return False
    env = dict(os.environ, PYENV_VERSION="2.7.18")
    return subprocess.run(["python2.7", "-c", "pass"], env=env, capture_output=True).returncode == 0


@pytest.mark.skipif(not _python27_works(), reason="no Python 2.7 to check GIMP 2.10 compatibility")
def test_common_imports_under_python_2_7():
    """GIMP 2.10's Python is 2.7: the shared host code must import and plan there too."""
    code = ("from plugin import actions, errors, params, regions; from plugin.geometry import Rect; "
            "from plugin.hosts import pixel_bytes, interface, job_client, paste_plan, procedures; "
            "from plugin.link import jobfiles, jobs, warm_channel, warm_client, worker_client; "
            "from plugin.hosts import operation as host_op; "
            "op = host_op.build_operation('remove', {'prompt': 'x'}); "
            "print(regions.plan_input('remove', op, Rect(0,0,99,99), Rect(0,0,99,99), Rect(10,10,5,5)).rect)")
    env = dict(os.environ, PYTHONPATH=str(REPO), PYENV_VERSION="2.7.18")
    done = subprocess.run(["python2.7", "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Rect(x=0, y=0" in done.stdout


@pytest.mark.parametrize("proc", procedures.PROCEDURES, ids=lambda p: p.action)
def test_dialog_mnemonics_are_unique(proc):
    """GIMP warns about duplicate mnemonics; _Reset, _Cancel, _OK, _Help, _Save and _Load are its own.
    It also warns about a field without one ("no mnemonic for property"), in 3.0 and 3.2."""
    taken = {"r", "c", "o", "h", "s", "l"}
    for param in proc.params:
        assert "_" in param.label[:-1], (param.name, param.label)
        key = param.label[param.label.index("_") + 1].lower()
        assert key not in taken, (param.name, key)
        taken.add(key)


def test_run_job_reads_the_roi_runs_the_worker_and_plans_the_paste(monkeypatch):
    monkeypatch.setenv("IMAGEN_GIMP_PYTHON", sys.executable)
    host = FakeHost()
    marks = []
    values = values_for("remove", backend="local", context=20, grow=0, feather=0)
    paste, folder = job_client.run_job("remove", values, host, str(REPO), marks.append)
    try:
        assert ("pixels", (0, 0, 50, 40)) in host.calls and ("selection", (0, 0, 50, 40)) in host.calls
        assert paste.target == "layers" and len(paste.layers) == 1 and paste.group_name.startswith("Remove")
        layer = paste.layers[0]
        assert 0 <= layer.x <= 20 and 30 <= layer.x + layer.width <= 50 and layer.mask_path
        assert [mark for mark in marks if not mark.startswith("worker ")] == ["read", "job folder", "worker"]
        assert host.calls[-1][0] in ("progress", "message")
    finally:
        jobs.remove_job(folder)


def test_run_job_failure_removes_the_job_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("IMAGEN_GIMP_PYTHON", sys.executable)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(errors.HostError, match="Vertex AI"):
        job_client.run_job("insert", values_for("insert", backend="local", prompt="a hat"), FakeHost(), str(REPO))
    assert list(tmp_path.iterdir()) == []


def test_command_override_for_fault_injection():
    assert worker_client.command_override("py", "/j", environ={}) is None
    assert worker_client.command_override("py", "/j", environ={"IMAGEN_GIMP_WORKER_MODULE": "x.y"}) == [
        "py", "-m", "x.y", "/j"]


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux only")
def test_worker_dies_when_the_plugin_process_is_killed(tmp_path):
    """GIMP's Cancel kills the plug-in process; its worker must not live on."""
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE)
    pid_file = tmp_path / "worker.pid"
    plugin = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(REPO)!r})
        from plugin.link import jobs, worker_client
        job = {{"action": "remove", "prompt": "slow"}}
        folder = jobs.make_job(job, 2, 2, (0, 0), b"\\0" * 16, b"\\xff" * 4)
        def progress(fraction, stage):
            if not os.path.exists({str(pid_file)!r}):
                os.system("pgrep -f 'fake_worker.py " + folder + "' > {pid_file}")
            return True
        worker_client.run_worker(sys.executable, {str(REPO)!r}, folder, progress,
                          command=[sys.executable, {str(script)!r}, folder])
    """)
    parent = subprocess.Popen([sys.executable, "-c", plugin])
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        import time

        time.sleep(0.05)
    worker_pid = int(pid_file.read_text().split()[0])
    parent.kill()
    parent.wait()
    import time

    for _ in range(50):
        if not os.path.exists(f"/proc/{worker_pid}") or "Z" in _proc_state(worker_pid):
            break
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{worker_pid}") or "Z" in _proc_state(worker_pid)


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0]
    except (OSError, IndexError):
        return "gone"


@pytest.fixture
def cloud_worker(monkeypatch, emulator, tmp_path):
    """The real worker, talking to the loopback emulator (today's Gemini models) under Automatic."""
    monkeypatch.setenv("IMAGEN_GIMP_PYTHON", sys.executable)
    monkeypatch.setenv("IMAGEN_GIMP_ENDPOINT", emulator.url)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "test-project")
    monkeypatch.setenv("IMAGEN_GIMP_CONFIG", str(tmp_path / "no-config.toml"))
    emulator.requests.clear()
    return emulator


def test_run_job_sends_the_reference_layers_whole(cloud_worker):
    host = FakeHost()
    values = values_for("customize", prompt="a mug on a beach", reference_layers="Mug, Sketch", variations=2,
                        seed=3)
    paste, folder = job_client.run_job("customize", values, host, str(REPO))
    try:
        assert [c for c in host.calls if c[0] in ("layer", "pixels", "selection")] == [
            ("layer", "Mug"), ("layer", "Sketch")]
        assert paste.target == "new-image" and len(paste.layers) == 2
        assert json.loads(paste.layers[0].parasite)["parameters"]["reference_layers"] == ["Mug", "Sketch"]
    finally:
        jobs.remove_job(folder)
    from tests.gemini_support import picture

    parts = cloud_worker.generate_bodies()[-1]["contents"][0]["parts"]
    sent = [picture(part) for part in parts if "inlineData" in part]
    assert "keep its identity" in parts[-1]["text"]
    assert [p.shape[:2] for p in sent] == [(50, 30), (20, 20)]
    assert tuple(sent[0][5, 5]) == (200, 16, 16)


def test_run_job_without_names_uses_the_selected_layer(cloud_worker):
    host = FakeHost()
    values = values_for("customize", prompt="in this style", kind="style")
    paste, folder = job_client.run_job("customize", values, host, str(REPO))
    jobs.remove_job(folder)
    assert ("layer", "Photo") in host.calls and paste.target == "new-image"
    parts = cloud_worker.generate_bodies()[-1]["contents"][0]["parts"]
    assert len(parts) == 2 and "in the style of the reference" in parts[-1]["text"]


def test_run_job_with_a_wrong_reference_name_reads_nothing(monkeypatch):
    monkeypatch.setenv("IMAGEN_GIMP_PYTHON", sys.executable)
    host = FakeHost()
    with pytest.raises(errors.HostError, match="no layer called 'Mugg'"):
        job_client.run_job("customize", values_for("customize", prompt="x", reference_layers="Mugg"), host,
                       str(REPO))
    assert not [c for c in host.calls if c[0] in ("layer", "pixels")]


def test_run_job_keeps_finished_variations_when_a_later_one_fails(monkeypatch):
    monkeypatch.setenv("IMAGEN_GIMP_PYTHON", sys.executable)
    monkeypatch.setenv("IMAGEN_GIMP_WORKER_MODULE", "tests.partial_worker")
    host = FakeHost()
    values = values_for("remove", backend="local", variations=3)
    paste, folder = job_client.run_job("remove", values, host, str(REPO))
    try:
        assert len(paste.layers) == 1 and paste.layers[0].name == "Remove Object #1 (seed 5)"
        messages = [call[1] for call in host.calls if call[0] == "message"]
        assert any("only 1 of 3 variations were made, then: Quota exceeded" in text for text in messages)
    finally:
        jobs.remove_job(folder)


# -- job folders: the lock and the sweep of folders a killed plug-in left -------------------------

needs_flock = pytest.mark.skipif(jobs.fcntl is None, reason="no fcntl (Windows): no locks, no sweep")

PLUGIN_WITH_A_JOB = """
import sys, tempfile
sys.path.insert(0, {repo!r})
tempfile.tempdir = {tmp!r}
from plugin.link import jobs
folder = jobs.make_job({{"action": "remove"}}, 2, 2, (0, 0), b"\\0" * 16, b"\\xff" * 4)
print(folder)
sys.stdout.flush()
sys.stdin.read()  # holds the job (and its lock) until the test closes stdin or kills it
"""


@pytest.fixture
def job_tmp(monkeypatch, tmp_path):
    """The temp dir make_job uses: an empty folder of the test's own."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.delenv("IMAGEN_GIMP_KEEP_JOBS", raising=False)
    return folder


def new_job() -> str:
    return jobs.make_job({"action": "remove"}, 2, 2, (0, 0), b"\0" * 16, b"\xff" * 4)


def start_plugin(job_tmp: Path) -> tuple[subprocess.Popen, Path]:
    """A plug-in process in the middle of a job: its folder exists and its lock is held."""
    code = PLUGIN_WITH_A_JOB.format(repo=str(REPO), tmp=str(job_tmp))
    process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True)
    folder = Path(process.stdout.readline().strip())
    assert (folder / jobfiles.INPUT_FILE).is_file() and (folder / jobfiles.LOCK_FILE).is_file()
    return process, folder


def stale_folder(path: Path) -> Path:
    """What a killed plug-in leaves: a job folder with a lock file nobody holds."""
    path.mkdir()
    (path / jobfiles.LOCK_FILE).write_bytes(b"")
    (path / jobfiles.INPUT_FILE).write_bytes(b"pixels")
    (path / jobfiles.JOB_FILE).write_text("{}")
    return path


def tree(root: Path) -> list[str]:
    """Every path under root, symlinks listed but not followed."""
    found = []
    for folder, dirs, files in os.walk(root):
        found += [os.path.relpath(os.path.join(folder, name), root) for name in dirs + files]
    return sorted(found)


@needs_flock
def test_the_next_job_removes_the_folder_of_a_killed_plugin(job_tmp):
    """GIMP's Cancel SIGKILLs the plug-in, which cannot remove its folder (a copy of the user's
    pixels); the next job, in any GIMP of this user, does."""
    process, left = start_plugin(job_tmp)
    process.kill()
    process.wait()
    process.stdout.close()
    process.stdin.close()
    assert left.is_dir()
    folder = new_job()
    try:
        assert not left.exists()
        assert os.listdir(job_tmp) == [os.path.basename(folder)]
        assert set(os.listdir(folder)) == {jobfiles.INPUT_FILE, jobfiles.JOB_FILE, jobfiles.LOCK_FILE,
                                           jobfiles.SELECTION_FILE}
    finally:
        jobs.remove_job(folder)
    assert list(job_tmp.iterdir()) == []


@needs_flock
def test_a_job_running_in_another_process_is_left_alone(job_tmp):
    process, running = start_plugin(job_tmp)
    try:
        before = tree(running)
        folder = new_job()
        jobs.remove_job(folder)
        assert jobs.sweep_stale_jobs() == []
        assert tree(running) == before
    finally:
        process.stdin.close()  # the process ends without removing its folder: now it is stale
        process.wait()
        process.stdout.close()
    assert jobs.sweep_stale_jobs() == [str(running)]
    assert list(job_tmp.iterdir()) == []


@needs_flock
def test_a_job_of_this_process_is_left_alone(job_tmp):
    """flock locks belong to the open file: the sweep's own descriptor conflicts with the job's."""
    first = new_job()
    second = new_job()
    try:
        assert os.path.isfile(os.path.join(first, jobfiles.INPUT_FILE))
        assert jobs.sweep_stale_jobs() == []
    finally:
        jobs.remove_job(first)
        jobs.remove_job(second)
    assert list(job_tmp.iterdir()) == [] and first not in jobs._LOCKS and second not in jobs._LOCKS


@needs_flock
def test_a_lock_held_by_someone_else_keeps_the_folder(job_tmp):
    import fcntl

    held = stale_folder(job_tmp / "imagen-gimp-held")
    with open(held / jobfiles.LOCK_FILE) as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        assert jobs.sweep_stale_jobs() == []
        assert (held / jobfiles.INPUT_FILE).exists()
    assert jobs.sweep_stale_jobs() == [str(held)]


@needs_flock
def test_the_sweep_touches_nothing_but_our_unlocked_folders(job_tmp, tmp_path):
    ours = stale_folder(job_tmp / "imagen-gimp-ours")
    (ours / "sub").mkdir()
    (ours / "sub" / "file").write_bytes(b"x")
    outside = stale_folder(tmp_path / "outside")
    (ours / "link-out").symlink_to(outside)  # removing ours removes the link, not what it points to
    stale_folder(job_tmp / "other-app-1234")  # not our prefix
    stale_folder(job_tmp / "imagen-gimpish")  # nearly
    (job_tmp / "imagen-gimp-link").symlink_to(outside)  # a symlink to a stale-looking folder
    lock_link = job_tmp / "imagen-gimp-lock-link"
    lock_link.mkdir()
    (lock_link / jobfiles.LOCK_FILE).symlink_to(outside / jobfiles.LOCK_FILE)  # the lock file a symlink
    (lock_link / jobfiles.INPUT_FILE).write_bytes(b"x")
    old = job_tmp / "imagen-gimp-old"  # no lock file: an older version's, a kept one, or being made
    old.mkdir()
    (old / jobfiles.INPUT_FILE).write_bytes(b"x")
    (job_tmp / "imagen-gimp-py27-abc123").mkdir()  # tests/py27_root.sh's work folder
    (job_tmp / "imagen-gimp-file").write_bytes(b"x")
    (job_tmp / "imagen-gimp-dir-lock").mkdir()
    (job_tmp / "imagen-gimp-dir-lock" / jobfiles.LOCK_FILE).mkdir()  # a lock "file" that is a folder
    everything = tree(tmp_path)
    assert jobs.sweep_stale_jobs() == [str(ours)]
    assert tree(tmp_path) == [path for path in everything if not path.startswith("tmp/imagen-gimp-ours")]


@needs_flock
def test_another_users_folder_is_left_alone(job_tmp, monkeypatch):
    theirs = stale_folder(job_tmp / "imagen-gimp-theirs")
    monkeypatch.setattr(jobs.os, "getuid", lambda: os.stat(theirs).st_uid + 1)
    assert jobs.sweep_stale_jobs() == []
    monkeypatch.undo()
    assert jobs.sweep_stale_jobs(str(job_tmp)) == [str(theirs)]


@needs_flock
def test_a_failing_sweep_does_not_stop_the_job(job_tmp, monkeypatch, capsys):
    stale = stale_folder(job_tmp / "imagen-gimp-stale")

    def broken(path):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(jobs, "_remove_if_stale", broken)
    folder = new_job()
    assert os.path.isfile(os.path.join(folder, jobfiles.JOB_FILE)) and stale.is_dir()
    jobs.remove_job(folder)
    assert f"cannot remove the old job folder {stale}" in capsys.readouterr().err
    assert jobs.sweep_stale_jobs(str(job_tmp / "missing")) == []
    assert "cannot look for old job folders" in capsys.readouterr().err


@needs_flock
def test_kept_jobs_are_never_swept(job_tmp, monkeypatch):
    stale = stale_folder(job_tmp / "imagen-gimp-stale")
    monkeypatch.setenv("IMAGEN_GIMP_KEEP_JOBS", "1")
    kept = new_job()
    assert stale.is_dir()  # keeping jobs: no sweep either, a cancelled job's folder stays to look at
    jobs.remove_job(kept)
    assert set(os.listdir(kept)) == {jobfiles.INPUT_FILE, jobfiles.JOB_FILE, jobfiles.SELECTION_FILE}
    monkeypatch.delenv("IMAGEN_GIMP_KEEP_JOBS")
    folder = new_job()
    jobs.remove_job(folder)
    assert os.listdir(job_tmp) == [os.path.basename(kept)]


def test_a_job_that_cannot_be_written_leaves_nothing(job_tmp):
    with pytest.raises(ValueError, match="pixel data"):
        jobs.make_job({"action": "remove"}, 2, 2, (0, 0), b"\0" * 15, None)
    assert list(job_tmp.iterdir()) == [] and not jobs._LOCKS


def test_without_fcntl_jobs_work_as_before(job_tmp, monkeypatch):
    """Windows has no flock: no lock file, no sweep; each job still removes its own folder."""
    stale = stale_folder(job_tmp / "imagen-gimp-stale")
    monkeypatch.setattr(jobs, "fcntl", None)
    folder = new_job()
    assert not os.path.exists(os.path.join(folder, jobfiles.LOCK_FILE)) and stale.is_dir()
    jobs.remove_job(folder)
    assert os.listdir(job_tmp) == [stale.name]


# -- the action table -------------------------------------------------------------------------------

def test_the_action_table_is_the_one_list_of_actions():
    """Menu entries, operations, titles and what each backend serves all come from plugin/actions.py."""
    from plugin.backends import gemini, imagen, local

    assert set(actions.BY_NAME) == set(ops.OPERATIONS)
    assert [proc.action for proc in procedures.PROCEDURES] == [a.name for a in actions.ACTIONS if a.label]
    for entry in actions.ACTIONS:
        assert ops.OPERATIONS[entry.name].title == entry.title
        assert bool(entry.offline_missing) == ("local" not in entry.served), entry.name
        assert bool(entry.gemini_missing) == ("gemini" not in entry.served), entry.name
    assert local.LocalBackend().capabilities().actions == actions.served_by("local")
    assert gemini.ACTIONS == actions.served_by("gemini") and imagen.ACTIONS == actions.served_by("imagen")
    titles = [proc.title for proc in procedures.PROCEDURES]
    assert len(set(titles)) == len(titles) and "Inpaint" in titles  # one name per action, everywhere


def test_the_group_layer_and_message_name_an_action_alike(tmp_path):
    """The group the pipeline names and the one the host would name agree (one function, one length)."""
    from plugin import pipeline

    op = ops.from_dict({"action": "insert", "prompt": "a red kite " * 8})
    result = write_result(tmp_path, [{"x": 0, "y": 0, "width": 8, "height": 6}])
    del result["group"]
    host_side = paste_plan.plan_paste("insert", {"prompt": op.prompt}, str(tmp_path), result,
                                      where("insert", Rect(0, 0, 8, 6))).group_name
    assert host_side == pipeline.group_name(op) and host_side.startswith("Inpaint: a red kite")


def test_every_host_implements_the_named_interface():
    """Gimp3Host, Gimp2Host and the tests' fake implement every method of hosts/interface.py's Host."""
    import ast

    from plugin.hosts.interface import Host

    wanted = {name for name, value in vars(Host).items() if callable(value) and not name.startswith("_")}
    assert {"read_pixels", "read_selection", "selection_bounds", "progress"} <= wanted
    assert issubclass(FakeHost, Host) and wanted <= {n for n in vars(FakeHost) if callable(getattr(FakeHost, n))}
    for path, name in (("plugin/hosts/gimp3.py", "Gimp3Host"), ("plugin/hosts/gimp2.py", "Gimp2Host")):
        tree = ast.parse((REPO / path).read_text())
        cls = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == name)
        assert [base.id for base in cls.bases] == ["Host"], name
        methods = {node.name for node in cls.body if isinstance(node, ast.FunctionDef)}
        assert wanted <= methods, (name, wanted - methods)
