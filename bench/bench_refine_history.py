"""What a conversation costs as it grows: per turn of Refine Result, the request's size, the input
tokens Google would bill (the emulator counts 1120 per picture on Standard, as Google's table does),
the cost line's estimate, and the store's size. Against the loopback emulator, in this process.

    .venv/bin/python bench/bench_refine_history.py [--turns 5] [--photo cat] [--drafts 2]

Thought pictures (drafts) are sent back as the model returned them; the emulator's are tiny flat
magenta PNGs, a real model's are full pictures, so real requests grow faster than shown here.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--photo", default="cat")
    parser.add_argument("--drafts", type=int, default=2)
    args = parser.parse_args()
    import os

    os.environ["IMAGEN_GIMP_CONVERSATIONS"] = tempfile.mkdtemp(prefix="bench-conversations-")
    from emulator import quick_engine, start_in_thread
    from plugin import crop, ops, pipeline
    from plugin.backends.gemini import GeminiBackend
    from plugin.config import Settings
    from plugin.refine import plan_refine
    from ui.cost import CloudSetup, follow_up_cost

    server, url = start_in_thread(engine=quick_engine, drafts=args.drafts)
    settings = Settings(project="bench", endpoint=url)
    backend = GeminiBackend(settings)
    image = pipeline.load_rgba(str(ROOT / "tests" / "data" / f"{args.photo}.jpg"))
    height, width = image.shape[:2]
    selection = np.zeros((height, width), np.uint8)
    selection[height // 3 : 2 * height // 3, width // 3 : 2 * width // 3] = 255
    op = ops.InpaintInsert(prompt="a red woollen hat", seed=1)
    region, region_selection, _origin = crop.plan_region(op, image, selection)
    setup = CloudSetup("auto", "bench", "", True, "", settings.load_catalogue())
    provenance = pipeline.run(op, region, region_selection, backend).layers[0].provenance
    print("turn  contents  request KB  input tokens  cost line said   store KB")
    estimate = "-"
    for turn in range(1, args.turns + 2):
        record = [r for r in server.requests if r.path.endswith(":generateContent")][-1]
        body = json.dumps(record.body).encode()
        usage = record.reply["usageMetadata"]
        print(
            f"{turn:>4}  {len(record.body['contents']):>8}  {len(body) / 1024:>10.0f}  "
            f"{usage['promptTokenCount']:>12}  {estimate:<15}  {backend.store().size() / 1024:>8.0f}"
        )
        if turn > args.turns:
            break
        estimate = follow_up_cost(provenance, {"variations": 1}, setup).split(":")[0]  # for the next turn
        plan = plan_refine(provenance, f"change number {turn}", backend.store(), args.turns + 1)
        provenance = (
            pipeline.run(plan.op, region, region_selection, backend, followup=plan.followup).layers[0].provenance
        )
    server.stop()


if __name__ == "__main__":
    main()
