"""The plug-in's own overhead in a real GIMP 3: procedure time minus the backend's compute time.

    .venv/bin/python bench/bench_gimp3_overhead.py [--runs 3] [--backend vertex|local] [--action inpaint]

Runs in the Debian 13 root the GIMP 3 tests use (tests/gimp3/rootfs.py; needs root). For a 6000x4000
and a 3000x2000 layer with the same ~1 MP selection it times the PDB call from the batch script
and subtracts the worker's reported compute_seconds (the backend's own work). The rest is the
plug-in: reading the region, the job folder, starting the worker, masks and blending, pasting.
It should follow the selection, not the image size. The default backend is Vertex against the
project's emulator (so compute is small and the overhead is visible); --backend local uses the
offline engine (Remove Object).
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

SIZES = ((6000, 4000), (3000, 2000))
SELECTION = (1000, 1000)  # ~1 MP, centred

DRIVER = r'''
import glob, json, os, time
from gi.repository import Gimp, Gio

def newest_result():
    folders = sorted(glob.glob("/tmp/imagen-gimp-*"), key=os.path.getmtime)
    with open(os.path.join(folders[-1], "result.json")) as handle:
        data = json.load(handle)
    for folder in folders:
        os.system("rm -rf " + folder)
    return data

def run(image, layer, properties):
    proc = Gimp.get_pdb().lookup_procedure("python-fu-imagen-" + CONFIG["action"])
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
    for item in image.get_layers():
        if item.is_group():
            image.remove_layer(item)
    data = newest_result()
    return seconds, data["compute_seconds"], data.get("worker_seconds", 0.0)

rows = []
photo = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(CONFIG["photo"]))
for width, height in CONFIG["sizes"]:
    image = Gimp.Image.new(width, height, Gimp.ImageBaseType.RGB)
    layer = Gimp.Layer.new_from_drawable(photo.get_layers()[0], image)
    image.insert_layer(layer, None, 0)
    layer.scale(width, height, False)
    sw, sh = CONFIG["selection"]
    image.select_rectangle(Gimp.ChannelOps.REPLACE, (width - sw) // 2, (height - sh) // 2, sw, sh)
    properties = dict(CONFIG["properties"])
    run(image, layer, properties)  # warm-up: imports, caches
    for index in range(CONFIG["runs"]):
        total, compute, worker = run(image, layer, properties)
        rows.append({"size": [width, height], "total": total, "compute": compute, "worker": worker})
    image.delete()
photo.delete()
with open(CONFIG["report"], "w") as handle:
    json.dump(rows, handle)
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=("vertex", "local"), default="vertex")
    args = parser.parse_args()
    reason = rootfs.unavailable_reason()
    if reason:
        print(f"cannot run: {reason}")
        return 1
    action = "inpaint" if args.backend == "vertex" else "remove"
    properties = {"backend": args.backend, "variations": 1, "seed": 1, "context": 64}
    if action == "inpaint":
        properties["prompt"] = "a red paper boat"
    report = f"/tmp/imagen-bench-{time.time_ns()}.json"
    config = {"action": action, "runs": args.runs, "sizes": SIZES, "selection": SELECTION,
              "photo": "/opt/imagen-gimp/tests/data/rocket.jpg", "properties": properties, "report": report}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"IMAGEN_GIMP_KEEP_JOBS": "1", "IMAGEN_GIMP_TIMING": "1", "GOOGLE_CLOUD_PROJECT": "bench-project",
           "IMAGEN_GIMP_ENDPOINT": f"http://127.0.0.1:{port}"}
    before = ""
    if args.backend == "vertex":
        wait = f"(echo > /dev/tcp/127.0.0.1/{port}) 2>/dev/null && break; sleep 0.2"
        before = (f"cd {rootfs.REPO_IN_ROOT}; .venv/bin/python -m plugin.backends.emulator --port {port} "
                  f"--quiet >/tmp/emulator.log 2>&1 & for i in $(seq 1 100); do {wait}; done; cd /; ")
    with rootfs.session() as root:
        done = root.gimp_batch(f"CONFIG = {json.dumps(config)}\n" + DRIVER, env=env, timeout=1800,
                               before=before)
        path = root.inside(report)
        if not path.exists():
            print(done.stdout[-3000:], done.stderr[-3000:])
            return 1
        rows = json.loads(path.read_text())
        path.unlink()
    stages = [json.loads(line.split("imagen-gimp timing ", 1)[1])
              for line in (done.stdout + done.stderr).splitlines() if "imagen-gimp timing " in line]
    print(f"GIMP 3.0 plug-in overhead, {action} with the {args.backend} backend, "
          f"{SELECTION[0]}x{SELECTION[1]} selection, median of {args.runs} runs (seconds):")
    print(f"{'layer':>11} {'total':>8} {'compute':>8} {'overhead':>9} {'worker process':>15}")
    for width, height in SIZES:
        mine = [r for r in rows if r["size"] == [width, height]]
        total = statistics.median(r["total"] for r in mine)
        compute = statistics.median(r["compute"] for r in mine)
        overhead = statistics.median(r["total"] - r["compute"] for r in mine)
        worker = statistics.median(r["worker"] for r in mine)
        print(f"{width:>5}x{height:<5} {total:8.2f} {compute:8.2f} {overhead:9.2f} {worker:15.2f}")
    print("host stages (median seconds; 'worker' is the whole worker process, compute included):")
    per_size = args.runs + 1  # the warm-up call is reported too
    for index, (width, height) in enumerate(SIZES):
        mine = stages[index * per_size + 1:(index + 1) * per_size]
        if mine:
            keys = [k for k in mine[0] if k != "action"]
            shown = ", ".join(f"{k} {statistics.median(m[k] for m in mine):.2f}" for k in keys)
            print(f"  {width}x{height}: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
