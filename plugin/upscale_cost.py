"""What the opt-in Real-ESRGAN upscale costs, said before it runs (dialog cost line, CLI), and its limit.

Why a module of its own: the dialog's cost line runs in GIMP's Python (standard library only), the
CLI and the local engine in the venv; all three must quote the same figures and refuse at the same
size. The figures were measured on this project's 2-core test machine (shared, so a quiet laptop is faster) on a
120 x 120 region, one full tile of upscale_esrgan.py with its margin: 34.6 s and a peak of 1451 MB for the
whole process (Python, NumPy, OpenCV, ncnn and the network's working memory; tiles bound the latter).
bench/upscale_models.py --realesrgan measures 7500 s per MP on 64 x 64 regions, where the margin is a
larger share of each tile and the first tile's set-up weighs more. Standard library (GIMP 3's Python
imports it for the cost line; GIMP 2.10's never does).
"""

from __future__ import annotations

from plugin import params

OFFLINE_MODELS = params.choice_values(params.OFFLINE_MODEL)
"""The offline Upscale's models: waifu2x photo (default, fast), Real-ESRGAN x4plus (opt-in, slow)."""
SECONDS_PER_MP = 2400.0  # Real-ESRGAN x4plus on ncnn, CPU, per input megapixel, in full tiles
BASE_MB = 1450.0  # peak resident memory of a run on one full tile: Python, the libraries, the network
MAX_PIXELS = 250000  # input pixels (about 500 x 500): above this a run takes more than ten minutes


def estimate(width: int, height: int) -> tuple[float, float]:
    """(seconds, megabytes) of a Real-ESRGAN upscale of a width x height region, either factor."""
    pixels = max(1, int(width)) * max(1, int(height))
    result_mb = pixels * 16 * 4 * 2 / 1e6  # the x4 result as RGBA bytes, and its float copy per tile row
    return SECONDS_PER_MP * pixels / 1e6, BASE_MB + result_mb


def refusal(width: int, height: int) -> str:
    """The message when the region is too large for Real-ESRGAN, "" when it may run."""
    if int(width) * int(height) <= MAX_PIXELS:
        return ""
    seconds, _ = estimate(width, height)
    return (
        f"Real-ESRGAN is for small regions: this {width}x{height} area ({width * height / 1e6:.2f} MP) would "
        f"take about {round(seconds / 60)} minutes; its limit is {MAX_PIXELS / 1e6:.2f} MP (about 500x500). "
        "Select a smaller area, or choose the waifu2x model (the default)."
    )


def describe(width: int, height: int) -> str:
    """'Real-ESRGAN: about 3 min and 1.2 GB for this 300x200 area', or the refusal."""
    refused = refusal(width, height)
    if refused:
        return refused
    seconds, megabytes = estimate(width, height)
    took = f"{max(1, round(seconds))} s" if seconds < 90 else f"{round(seconds / 60)} min"
    return f"Real-ESRGAN: about {took} and {megabytes / 1000:.1f} GB of memory for this {width}x{height} area"
