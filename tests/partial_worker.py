"""A worker that makes one variation and then stops on a problem it understands (exit code 2).

tests/test_job_client.py runs it through IMAGEN_GIMP_WORKER_MODULE to check that the host keeps
the finished variation instead of throwing it away.
"""

from __future__ import annotations

import json
import os
import sys

from plugin.link import jobfiles


def main(folder: str) -> int:
    job = jobfiles.read_job(folder)
    width, height = 4, 3
    with open(os.path.join(folder, "layer-0.rgba"), "wb") as handle:
        handle.write(b"\x10\x80\xf0\xff" * (width * height))
    jobfiles.write_json(
        os.path.join(folder, jobfiles.RESULT_FILE),
        {
            "group": "Remove Object",
            "complete": False,
            "notes": [],
            "texts": [],
            "canvas": None,
            "layers": [
                {
                    "name": "Remove Object #1 (seed 5)",
                    "x": 2,
                    "y": 1,
                    "width": width,
                    "height": height,
                    "pixels": "layer-0.rgba",
                    "mask": None,
                    "provenance": {"seed": 5},
                }
            ],
        },
    )
    assert job["operation"]["variations"] == 3
    print(json.dumps({"error": "Quota exceeded; wait a minute and try again.", "kind": "backend"}), flush=True)
    return jobfiles.EXIT_USER


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
