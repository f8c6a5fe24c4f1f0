"""A worker that misbehaves on request, for the host's failure paths in real GIMP.

The GIMP session of the fault scenario runs with IMAGEN_GIMP_WORKER_MODULE=tests.gimp3.fault_worker.
A prompt of FAULT:crash, FAULT:user, FAULT:garbage or FAULT:silent picks the fault; anything else runs
the real worker.
"""

from __future__ import annotations

import json
import os
import sys
import time

from plugin.link import jobfiles

SILENT_SECONDS = 300


def main(folder: str) -> int:
    prompt = jobfiles.read_job(folder)["operation"].get("prompt", "")
    if prompt == "FAULT:crash":  # one layer written, then a crash: the host must not paste it
        with open(os.path.join(folder, "layer-0.rgba"), "wb") as handle:
            handle.write(b"\x80" * 16)
        jobfiles.write_json(
            os.path.join(folder, jobfiles.RESULT_FILE),
            {
                "layers": [{"name": "partial", "x": 0, "y": 0, "width": 2, "height": 2, "pixels": "layer-0.rgba"}],
                "complete": False,
            },
        )
        print(json.dumps({"progress": 0.5, "stage": "half way"}), flush=True)
        raise RuntimeError("injected crash")
    if prompt == "FAULT:user":
        print(json.dumps({"error": "injected problem: change the setting", "kind": "config"}), flush=True)
        return jobfiles.EXIT_USER
    if prompt == "FAULT:silent":  # busy without a word for minutes, like a long engine stage
        print(json.dumps({"progress": 0.1, "stage": "computing"}), flush=True)
        open(os.path.join(folder, "silent"), "w").close()
        time.sleep(SILENT_SECONDS)
        return jobfiles.EXIT_OK
    if prompt == "FAULT:garbage":
        print("this is not JSON", flush=True)
        return jobfiles.EXIT_OK
    from plugin.link import worker

    return worker.main([folder])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
