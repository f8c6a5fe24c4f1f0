"""Picture files in and out: every Pillow mode read as the 8-bit RGBA GIMP would show, masks read by
one stated rule, and results written so that a failure never leaves half a file.

Pillow's own convert() clips 16-bit grey (I;16) to 255 and treats 32-bit and float pictures as 8-bit,
which turned a 16-bit PNG into an almost white picture with no error; here each mode is scaled the way
GIMP maps it to 0-255, EXIF orientation is applied, and what cannot be read correctly is refused in
one line instead of being turned into a wrong picture.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from plugin.errors import UserError

PLAIN_MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "RGBa", "YCbCr", "HSV")
"""Modes Pillow converts to RGBA exactly as GIMP shows them (P with its transparency)."""
SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")
WRITE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}
MASK_RULE = (
    "a grey picture of the same size: white is selected, grey partly; a picture with transparency "
    "selects by its alpha (as Layer > Transparency > Alpha to Selection), a colour picture by its "
    "brightness"
)


class ImageFileError(UserError, ValueError):
    """A picture file cannot be read correctly or written where asked; the message says what to do."""

    kind = "image"


def read_picture(path: str | os.PathLike) -> np.ndarray:
    """H x W x 4 uint8 RGBA, upright (EXIF orientation applied), as GIMP would show the file."""
    return _rgba(_open(path), Path(path))


def read_mask(path: str | os.PathLike, size: tuple[int, int]) -> np.ndarray:
    """H x W uint8 selection (255 = selected) by MASK_RULE; `size` is the photo's (width, height)."""
    picture = _open(path)
    has_alpha = picture.mode in ("LA", "PA", "RGBA", "RGBa", "La") or (
        picture.mode == "P" and "transparency" in picture.info
    )
    rgba = _rgba(picture, Path(path))
    if (rgba.shape[1], rgba.shape[0]) != tuple(size):
        raise ImageFileError(
            f"{path}: the mask is {rgba.shape[1]}x{rgba.shape[0]} but the image is "
            f"{size[0]}x{size[1]}; give a mask of the same size"
        )
    if has_alpha and (rgba[..., 3] < 255).any():
        return np.ascontiguousarray(rgba[..., 3])
    rgb = rgba[..., :3].astype(np.uint32)
    return ((rgb[..., 0] * 299 + rgb[..., 1] * 587 + rgb[..., 2] * 114 + 500) // 1000).astype(np.uint8)


def _open(path: str | os.PathLike) -> Image.Image:
    path = Path(path)
    if not path.is_file():
        raise ImageFileError(f"{path}: no such file")
    try:
        with Image.open(path) as picture:
            picture.load()
            return ImageOps.exif_transpose(picture) or picture
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageFileError(f"{path}: not a readable picture ({exc}); use PNG, JPEG, WebP or TIFF") from exc


def _rgba(picture: Image.Image, path: Path) -> np.ndarray:
    mode = picture.mode
    if mode in SIXTEEN_BIT:
        return _grey(np.asarray(picture).astype(np.float64) / 257.0)
    if mode == "I":  # 32-bit integers: GIMP maps 0 .. 2**32 - 1 to black .. white
        values = np.asarray(picture).astype(np.float64)
        if values.size and values.min() < 0:
            raise ImageFileError(f"{path}: has negative 32-bit values; export it from GIMP as 8- or 16-bit")
        return _grey(values / (2**32 - 1) * 255.0)
    if mode == "F":
        values = np.asarray(picture).astype(np.float64)
        if values.size and (not np.isfinite(values).all() or values.min() < 0 or values.max() > 1):
            low, high = np.nanmin(values), np.nanmax(values)
            raise ImageFileError(
                f"{path}: has floating-point values from {low:g} to {high:g}, not 0 to 1; "
                "export it from GIMP as 8- or 16-bit"
            )
        return _grey(values * 255.0)
    if mode == "CMYK":
        return _cmyk(picture)
    if mode in PLAIN_MODES:
        return np.asarray(picture.convert("RGBA")).copy()
    if mode == "La":
        return np.asarray(picture.convert("RGBa").convert("RGBA")).copy()
    raise ImageFileError(
        f"{path}: pictures in colour mode {mode} cannot be read correctly here; open it in "
        "GIMP and export it as RGB (PNG, JPEG or TIFF)"
    )


def _grey(values: np.ndarray) -> np.ndarray:
    grey = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    return np.dstack([grey, grey, grey, np.full(grey.shape, 255, np.uint8)])


def _cmyk(picture: Image.Image) -> np.ndarray:
    """CMYK through its embedded ICC profile to sRGB, as GIMP converts it on import; else Pillow's formula."""
    profile = picture.info.get("icc_profile")
    if profile:
        import io

        try:
            converted = ImageCms.profileToProfile(
                picture, ImageCms.ImageCmsProfile(io.BytesIO(profile)), ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            return np.asarray(converted.convert("RGBA")).copy()
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: the plain formula, as GIMP does when it cannot read one
    return np.asarray(picture.convert("RGB").convert("RGBA")).copy()


# --- writing -----------------------------------------------------------------------------------------


def output_format(path: Path) -> str:
    """The Pillow format for an output path by its extension; ImageFileError for one we do not write."""
    found = WRITE_FORMATS.get(path.suffix.lower())
    if found is None:
        shown = ", ".join(sorted(WRITE_FORMATS))
        raise ImageFileError(
            f"{path}: cannot write {path.suffix or 'a file without an extension'}; end the name with one of {shown}"
        )
    return found


def check_writable(path: Path) -> None:
    """Before any work: the folder exists and may be written to (a long run must not end in an error)."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ImageFileError(f"{path}: the folder {folder} does not exist; make it first or choose another -o")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ImageFileError(f"{path}: cannot write into {folder} (permission denied); choose another -o")
    if path.is_dir():
        raise ImageFileError(f"{path} is a folder; name a file, such as {path / 'result.png'}")


def _read_umask() -> int:
    """The process's umask; read once at import, since reading it means setting it (not thread-safe)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _read_umask()
RECIPE_KEY = "imagen-gimp-recipe"
"""The PNG text chunk (compressed iTXt) holding a result's recipe, for `imagen-gimp refine`."""


def _mode_for(path: Path) -> int:
    """The mode a plain open(path, "wb") would leave: an existing file's own, else 0666 less the umask.
    mkstemp makes its file 0600, and the rename would carry that over to a picture meant to be shared."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~UMASK


def write_picture(rgba: np.ndarray, path: Path, recipe: dict | None = None) -> None:
    """Write through a temporary file in the same folder, renamed into place: never half a picture.

    JPEG has no transparency: transparent pixels are laid over white, as GIMP's export does by default.
    A PNG carries `recipe` (how it was made, no secrets) in a text chunk; other formats do not.
    A 2-D array is written as a greyscale picture (a mask).
    """
    kind = output_format(path)
    picture = Image.fromarray(np.ascontiguousarray(rgba), "L" if rgba.ndim == 2 else "RGBA")
    if kind == "JPEG" and picture.mode == "RGBA":
        white = Image.new("RGBA", picture.size, (255, 255, 255, 255))
        picture = Image.alpha_composite(white, picture).convert("RGB")
    mode = _mode_for(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=str(path.parent or "."))
    try:
        with os.fdopen(handle, "wb") as out:
            options: dict = {"quality": 95} if kind == "JPEG" else {}
            if recipe is not None and kind == "PNG":
                import json

                from PIL.PngImagePlugin import PngInfo

                info = PngInfo()
                info.add_itxt(RECIPE_KEY, json.dumps(recipe, sort_keys=True), zip=True)
                options["pnginfo"] = info
            picture.save(out, format=kind, **options)
            os.fchmod(out.fileno(), mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_recipe(path: str) -> dict | None:
    """The recipe a PNG written by imagen-gimp carries; None for any other picture."""
    import json

    try:
        with Image.open(path) as picture:
            text = getattr(picture, "text", {}).get(RECIPE_KEY) if picture.format == "PNG" else None
    except (OSError, UnidentifiedImageError) as exc:
        raise ImageFileError(f"{path}: cannot read it ({exc})") from exc
    if not text:
        return None
    try:
        recipe = json.loads(text)
    except ValueError:
        return None
    return recipe if isinstance(recipe, dict) else None
