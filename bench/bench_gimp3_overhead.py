"""The plug-in's own overhead per call in a real GIMP 3, beside GIMP's floor (a do-nothing plug-in).

    .venv/bin/python bench/bench_gimp3_overhead.py [--gimp 3.0 3.2] [--warm 5] [--backend local|vertex]

Runs in the Debian roots the GIMP 3 tests use (tests/gimp3/rootfs.py; needs root): 3.0 is GIMP 3.0.4
(trixie), 3.2 is GIMP 3.2.6 (forky). For each layer size (6000x4000 and 1500x1000, a photo scaled up)
with a centred 300x300 selection, one GIMP start makes:
- the floor: a trivial Python plug-in (installed in the root for the run, removed after) whose
  procedure takes the image and layer and returns at once: what any Python plug-in call costs GIMP;
- the first call of the plug-in in that GIMP (cold), then --warm later calls, each beside a floor call.
Overhead = the procedure's time (from the batch script) minus the backend's own compute
(compute_seconds in result.json): reading the region, the job folder, the worker process, masks and
blending, pasting. The stage lines of IMAGEN_GIMP_TIMING are printed as medians, first call apart.
The default backend is the offline engine (Remove Object); --backend vertex runs Inpaint against the
project's emulator.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from gimp3 import rootfs  # noqa: E402

SIZES = ((6000, 4000), (1500, 1000))
SELECTION = (300, 300)  # centred
FLOOR_PROCEDURE = "imagen-bench-floor"
FLOOR_PLUGIN = '''#!/usr/bin/env python3
"""imagen-gimp bench: a Python plug-in that does nothing (GIMP's floor per call)."""
import sys

import gi

gi.require_version("Gimp", "3.0")
from gi.repository import Gimp, GLib


class Floor(Gimp.PlugIn):
    def do_query_procedures(self):
        return ["FLOOR_PROCEDURE"]

    def do_create_procedure(self, name):
        proc = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, self.run, None)
        proc.set_image_types("*")
        proc.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
        proc.set_attribution("imagen-gimp bench", "imagen-gimp bench", "2026")
        return proc

    def run(self, procedure, run_mode, image, drawables, config, data):
        return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


Gimp.main(Floor.__gtype__, sys.argv)
'''.replace("FLOOR_PROCEDURE", FLOOR_PROCEDURE)

DRIVER = r"""
import glob, json, os, sys, time
from gi.repository import Gimp, Gio

def newest_result():
    folders = sorted(glob.glob("/tmp/imagen-gimp-*"), key=os.path.getmtime)
    with open(os.path.join(folders[-1], "result.json")) as handle:
        data = json.load(handle)
    for folder in folders:
        os.system("rm -rf " + folder)
    return data

def call(name, image, layer, properties):
    proc = Gimp.get_pdb().lookup_procedure(name)
    config = proc.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [layer])
    for key, value in properties.items():
        config.set_property(key, value)
    started = time.perf_counter()
    result = proc.run(config)
    seconds = time.perf_counter() - started
    if result.index(0) != Gimp.PDBStatusType.SUCCESS:
        raise RuntimeError(result.index(1))
    return seconds

def ours(image, layer):
    seconds = call("python-fu-imagen-" + CONFIG["action"], image, layer, CONFIG["properties"])
    for item in image.get_layers():
        if item.is_group():
            image.remove_layer(item)
    data = newest_result()
    return {"total": seconds, "compute": data["compute_seconds"], "worker": data.get("worker_seconds", 0.0)}

width, height = CONFIG["size"]
photo = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(CONFIG["photo"]))
image = Gimp.Image.new(width, height, Gimp.ImageBaseType.RGB)
layer = Gimp.Layer.new_from_drawable(photo.get_layers()[0], image)
image.insert_layer(layer, None, 0)
layer.scale(width, height, False)
photo.delete()
sw, sh = CONFIG["selection"]
image.select_rectangle(Gimp.ChannelOps.REPLACE, (width - sw) // 2, (height - sh) // 2, sw, sh)
rows = {"floor_first": call(CONFIG["floor"], image, layer, {}), "floor": [], "ours": []}
sys.stderr.write("imagen-bench call first\n")
rows["first"] = ours(image, layer)
for index in range(CONFIG["warm"]):
    rows["floor"].append(call(CONFIG["floor"], image, layer, {}))
    sys.stderr.write("imagen-bench call warm\n")
    rows["ours"].append(ours(image, layer))
image.delete()
with open(CONFIG["report"], "w") as handle:
    json.dump(rows, handle)
"""


def run_size(root: rootfs.Root, size: tuple, args, env: dict, before: str) -> dict:
    action = "inpaint" if args.backend == "vertex" else "remove"
    properties = {"backend": args.backend, "variations": 1, "seed": 1}
    if action == "inpaint":
        properties["prompt"] = "a red paper boat"
    report = f"/tmp/imagen-bench-{time.time_ns()}.json"
    config = {
        "action": action,
        "warm": args.warm,
        "size": size,
        "selection": SELECTION,
        "floor": FLOOR_PROCEDURE,
        "photo": f"{rootfs.REPO_IN_ROOT}/tests/data/rocket.jpg",
        "properties": properties,
        "report": report,
    }
    done = root.gimp_batch(f"CONFIG = {json.dumps(config)}\n" + DRIVER, env=env, timeout=1800, before=before)
    path = root.inside(report)
    if not path.exists():
        raise RuntimeError(f"GIMP wrote no report:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    rows = json.loads(path.read_text())
    path.unlink()
    rows["stages"] = [
        json.loads(line.split("imagen-gimp timing ", 1)[1])
        for line in (done.stdout + done.stderr).splitlines()
        if "imagen-gimp timing " in line
    ]
    return rows


def stage_line(records: list[dict]) -> str:
    """Median seconds of each stage and part over the records (the order of the first)."""
    if not records:
        return "(no timing lines)"
    keys = [k for k in records[0] if k not in ("action", "parts")]
    text = ", ".join(f"{k} {statistics.median(r.get(k, 0.0) for r in records):.3f}" for k in keys)
    parts = list(records[0].get("parts", {}))
    if parts:
        text += "; parts: " + ", ".join(
            f"{k} {statistics.median(r.get('parts', {}).get(k, 0.0) for r in records):.3f}" for k in parts
        )
    return text


def bench_version(version: str, args) -> dict:
    host = rootfs.HOSTS[version]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "IMAGEN_GIMP_KEEP_JOBS": "1",
        "IMAGEN_GIMP_TIMING": "1",
        "GOOGLE_CLOUD_PROJECT": "bench-project",
        "IMAGEN_GIMP_ENDPOINT": f"http://127.0.0.1:{port}",
    }
    before = ""
    if args.backend == "vertex":
        wait = f"(echo > /dev/tcp/127.0.0.1/{port}) 2>/dev/null && break; sleep 0.2"
        before = (
            f"cd {rootfs.REPO_IN_ROOT}; .venv/bin/python -m emulator --port {port} "
            f"--quiet >/tmp/emulator.log 2>&1 & for i in $(seq 1 100); do {wait}; done; cd /; "
        )
    results = {}
    with rootfs.session(version=version) as root:
        floor = root.inside(f"{host.user_folder}/plug-ins/imagen_bench_floor/imagen_bench_floor.py")
        floor.parent.mkdir(parents=True, exist_ok=True)
        floor.write_text(FLOOR_PLUGIN)
        floor.chmod(0o755)
        try:
            for size in SIZES:
                results[size] = run_size(root, size, args, env, before)
        finally:
            floor.unlink(missing_ok=True)
            floor.parent.rmdir()
    return results


def report(version: str, results: dict, args) -> None:
    host = rootfs.HOSTS[version]
    what = "Remove Object, offline engine" if args.backend == "local" else "Inpaint, Vertex emulator"
    print(
        f"\nGIMP {host.gimp} ({host.suite} root): {what}, {SELECTION[0]}x{SELECTION[1]} selection; seconds; "
        f"warm = median of {args.warm}"
    )
    print(
        f"{'layer':>11} {'call':>5} {'floor':>6} {'total':>6} {'compute':>7} {'overhead':>8} "
        f"{'x floor':>7} {'worker':>6}"
    )
    warm_overheads = {}
    for size in SIZES:
        rows = results[size]
        first = rows["first"]
        floor_warm = statistics.median(rows["floor"])
        lines = [
            (
                "first",
                rows["floor_first"],
                first["total"],
                first["compute"],
                first["worker"],
                first["total"] - first["compute"],
            ),
            (
                "warm",
                floor_warm,
                statistics.median(r["total"] for r in rows["ours"]),
                statistics.median(r["compute"] for r in rows["ours"]),
                statistics.median(r["worker"] for r in rows["ours"]),
                statistics.median(r["total"] - r["compute"] for r in rows["ours"]),
            ),
        ]
        warm_overheads[size] = lines[1][5]
        for call, floor, total, compute, worker, overhead in lines:
            print(
                f"{size[0]:>5}x{size[1]:<5} {call:>5} {floor:6.3f} {total:6.3f} {compute:7.3f} {overhead:8.3f} "
                f"{overhead / floor:7.1f} {worker:6.3f}"
            )
    big, small = warm_overheads[SIZES[0]], warm_overheads[SIZES[1]]
    print(
        f"warm overhead {SIZES[0][0]}x{SIZES[0][1]} / {SIZES[1][0]}x{SIZES[1][1]}: {big / small:.2f} "
        "(target <= 1.3; warm overhead target <= 4x floor on the large layer)"
    )
    print("host stages (IMAGEN_GIMP_TIMING; 'worker' is the whole worker process, compute included):")
    for size in SIZES:
        stages = results[size]["stages"]
        print(f"  {size[0]}x{size[1]} first: {stage_line(stages[:1])}")
        print(f"  {size[0]}x{size[1]} warm:  {stage_line(stages[1:])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gimp",
        nargs="+",
        choices=sorted(rootfs.HOSTS),
        default=sorted(rootfs.HOSTS),
        help="GIMP versions to measure (default: all)",
    )
    parser.add_argument("--warm", type=int, default=5, help="later calls per layer size")
    parser.add_argument("--backend", choices=("local", "vertex"), default="local")
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args()
    reason = rootfs.unavailable_reason()
    if reason:
        print(f"cannot run: {reason}")
        return 1
    raw = {}
    for version in args.gimp:
        results = bench_version(version, args)
        raw[version] = {f"{w}x{h}": rows for (w, h), rows in results.items()}
        report(version, results, args)
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
