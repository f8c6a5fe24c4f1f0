"""The command line never loses a file and never returns a wrong picture quietly: outputs that are
inputs, existing files, missing folders, every Pillow mode, EXIF orientation, masks by rule, and one
line with exit 2 for every mistake a user can make (exit 1, with the log's path, for a bug)."""

from __future__ import annotations

import hashlib
import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from plugin import images

REPO = Path(__file__).resolve().parents[1]
W, H = 64, 48
BOX = (20, 14, 40, 30)  # the selection: x0, y0, x1, y1


def cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """The command with --quiet (no progress lines: stderr holds only what went wrong)."""
    base = {
        "HOME": str(cwd),
        "PATH": "/usr/bin:/bin",
        "IMAGEN_GIMP_CONFIG": str(cwd / "none.toml"),
        "PYTHONPATH": str(REPO),
    }
    quiet = [] if "doctor" in args or "--quiet" in args else ["--quiet"]
    return subprocess.run(
        [sys.executable, "-m", "plugin", *args, *quiet],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**base, **(env or {})},
        timeout=300,
    )


def one_line_exit_2(done: subprocess.CompletedProcess, words: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert words in lines[0], lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def photo() -> np.ndarray:
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:H, 0:W]
    rgb = np.dstack([xx * 4, yy * 5, (xx + yy) * 2]) + rng.integers(0, 20, (H, W, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


def mask() -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    m[BOX[1] : BOX[3], BOX[0] : BOX[2]] = 255
    return m


def outside(grow_feather: int = 12) -> np.ndarray:
    keep = np.ones((H, W), bool)
    x0, y0, x1, y1 = BOX
    keep[max(0, y0 - grow_feather) : y1 + grow_feather, max(0, x0 - grow_feather) : x1 + grow_feather] = False
    return keep


@pytest.fixture
def work(tmp_path):
    Image.fromarray(photo()).save(tmp_path / "photo.png")
    Image.fromarray(mask()).save(tmp_path / "mask.png")
    return tmp_path


# -- no file is ever lost -------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["photo.png", "mask.png", "./photo.png", "link.png"])
def test_an_output_that_is_an_input_is_refused_and_nothing_changes(work, target):
    (work / "link.png").symlink_to(work / "photo.png")
    before = {name: digest(work / name) for name in ("photo.png", "mask.png")}
    done = cli("remove", "photo.png", "--mask", "mask.png", "-o", target, "--overwrite", cwd=work)
    one_line_exit_2(done, "is one of the inputs")
    assert {name: digest(work / name) for name in before} == before


def test_a_background_picture_is_an_input_too(work):
    Image.fromarray(photo()).save(work / "beach.png")
    before = digest(work / "beach.png")
    done = cli("background", "photo.png", "--mode", "image", "--image-path", "beach.png", "-o", "beach.png", cwd=work)
    one_line_exit_2(done, "beach.png is one of the inputs")
    assert digest(work / "beach.png") == before


def test_an_existing_output_is_replaced_only_when_asked(work):
    (work / "out.png").write_bytes(b"keep me")
    done = cli("remove", "photo.png", "--mask", "mask.png", "-o", "out.png", cwd=work)
    one_line_exit_2(done, "out.png exists; pass --overwrite to replace it")
    assert (work / "out.png").read_bytes() == b"keep me"
    done = cli("remove", "photo.png", "--mask", "mask.png", "-o", "out.png", "--overwrite", "--quiet", cwd=work)
    assert done.returncode == 0, done.stderr
    assert Image.open(work / "out.png").size == (W, H)


def test_numbered_variations_are_checked_before_any_work(work):
    (work / "out-2.png").write_bytes(b"keep me")
    done = cli("remove", "photo.png", "--mask", "mask.png", "-o", "out.png", "--variations", "3", cwd=work)
    one_line_exit_2(done, "out-2.png exists")
    assert not (work / "out-1.png").exists() and (work / "out-2.png").read_bytes() == b"keep me"


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("missing/out.png", "the folder missing does not exist"),
        ("out.gif", "cannot write .gif; end the name with one of"),
        ("out", "cannot write a file without an extension"),
        (".", "cannot write a file without an extension"),
    ],
)
def test_where_the_output_cannot_go_is_said_before_the_work(work, target, words):
    done = cli("remove", "photo.png", "--mask", "mask.png", "-o", target, cwd=work)
    one_line_exit_2(done, words)


def test_a_folder_that_cannot_be_written_is_said_before_the_work(work, monkeypatch):
    """Checked with os.access (root may write anywhere, so the refusal is staged here)."""
    monkeypatch.setattr(images.os, "access", lambda path, mode: False)
    with pytest.raises(images.ImageFileError, match="cannot write into .* \\(permission denied\\)"):
        images.check_writable(work / "out.png")


@pytest.mark.parametrize(
    ("name", "magic"), [("out.jpg", b"\xff\xd8"), ("out.webp", b"RIFF"), ("out.tif", b"II"), ("out.png", b"\x89PNG")]
)
def test_the_output_is_written_in_the_format_its_name_asks(work, name, magic):
    done = cli("upscale", "photo.png", "-o", name, "--quiet", cwd=work)
    assert done.returncode == 0, done.stderr
    assert (work / name).read_bytes()[: len(magic)] == magic
    assert not [p for p in work.iterdir() if p.name.endswith(".part")]  # no temporary left


def test_a_failed_write_leaves_no_half_file(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"the old one")

    def broken_save(self, fp, format=None, **params):  # noqa: A002 - Pillow's own signature
        fp.write(b"\x89PNG half")
        raise OSError("No space left on device")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError):
        images.write_picture(np.zeros((4, 4, 4), np.uint8), target)
    assert target.read_bytes() == b"the old one" and [p.name for p in tmp_path.iterdir()] == ["out.png"]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_a_written_picture_gets_the_umask_s_permissions(tmp_path, umask, mode):
    """A picture saved into a shared folder or a web root must be readable as any file the user writes:
    the temporary file's private 0600 must not survive the rename."""
    Image.fromarray(photo()).save(tmp_path / "in.png")
    Image.fromarray(mask()).save(tmp_path / "mask.png")
    for name in ("out.png", "again.png"):  # the second call may go to the warm worker the first started
        done = subprocess.run(
            [
                "/bin/sh",
                "-c",
                f'umask {umask:03o} && exec "$@"',
                "sh",
                sys.executable,
                "-m",
                "plugin",
                "remove",
                "in.png",
                "--mask",
                "mask.png",
                "-o",
                name,
                "--quiet",
                "--backend",
                "local",
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=300,
            env={
                "HOME": str(tmp_path),
                "PATH": "/usr/bin:/bin",
                "PYTHONPATH": str(REPO),
                "IMAGEN_GIMP_CONFIG": str(tmp_path / "none.toml"),
            },
        )
        assert done.returncode == 0, done.stderr
        assert (tmp_path / name).stat().st_mode & 0o777 == mode, name


def test_an_overwritten_picture_keeps_its_mode(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    target.chmod(0o604)
    images.write_picture(np.zeros((4, 4, 4), np.uint8), target)
    assert target.stat().st_mode & 0o777 == 0o604 and Image.open(target).size == (4, 4)


# -- every readable picture is read correctly --------------------------------------------------------


def png16(array: np.ndarray, color_type: int) -> bytes:
    """A 16-bit PNG written by hand (Pillow cannot write 16-bit RGB)."""
    height, width = array.shape[:2]
    rows = b"".join(b"\x00" + array[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def grey(values: np.ndarray) -> np.ndarray:
    g = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    return np.dstack([g, g, g, np.full(g.shape, 255, np.uint8)])


def source(kind: str, folder: Path) -> tuple[str, np.ndarray]:
    """(file name, the RGBA GIMP shows for it) for one kind of picture file."""
    rgb = photo()
    luma = rgb.mean(axis=2)
    if kind == "I;16":
        values = (luma * 257).astype(np.uint16)
        Image.fromarray(values).save(folder / "in.png")
        return "in.png", grey(values / 257.0)
    if kind == "I;16 16-bit TIFF":
        values = (luma * 257).astype(np.uint16)
        Image.fromarray(values).save(folder / "in.tif")
        return "in.tif", grey(values / 257.0)
    if kind == "I":
        values = (luma.astype(np.int64) * 8421504).astype(np.int32)  # within Pillow's signed 32 bits
        Image.fromarray(values, "I").save(folder / "in.tif")
        return "in.tif", grey(values.astype(np.float64) / (2**32 - 1) * 255)
    if kind == "F":
        values = (luma / 255.0).astype(np.float32)
        Image.fromarray(values, "F").save(folder / "in.tif")
        return "in.tif", grey(values.astype(np.float64) * 255)
    if kind == "16-bit RGB":
        values = rgb.astype(np.uint16) * 257
        (folder / "in.png").write_bytes(png16(values, 2))
        return "in.png", np.dstack([rgb, np.full((H, W), 255, np.uint8)])
    if kind == "16-bit grey+alpha":
        values = np.dstack([luma.astype(np.uint16) * 257, np.full((H, W), 65535, np.uint16)])
        (folder / "in.png").write_bytes(png16(values, 4))
        return "in.png", grey(np.floor(luma) * 257 / 257.0)
    picture = Image.fromarray(rgb)
    if kind == "P+transparency":
        picture = picture.quantize(64)
        picture.info["transparency"] = 0
        picture.save(folder / "in.png", transparency=0)
        return "in.png", np.asarray(Image.open(folder / "in.png").convert("RGBA"))
    converted = picture.convert(kind)
    name = "in.tif" if kind in ("CMYK", "YCbCr") else "in.png"
    converted.save(folder / name)
    return name, np.asarray(Image.open(folder / name).convert("RGBA"))


@pytest.mark.parametrize(
    "kind",
    [
        "1",
        "L",
        "LA",
        "P+transparency",
        "I;16",
        "I;16 16-bit TIFF",
        "I",
        "F",
        "RGB",
        "RGBA",
        "CMYK",
        "YCbCr",
        "16-bit RGB",
        "16-bit grey+alpha",
    ],
)
def test_every_mode_is_read_as_gimp_shows_it_and_kept_outside_the_selection(tmp_path, kind):
    name, expected = source(kind, tmp_path)
    Image.fromarray(mask()).save(tmp_path / "mask.png")
    assert np.array_equal(images.read_picture(tmp_path / name), expected), kind
    done = cli("remove", name, "--mask", "mask.png", "-o", "out.png", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = np.asarray(Image.open(tmp_path / "out.png").convert("RGBA"))
    keep = outside()
    assert np.array_equal(result[keep], expected[keep]), kind


def test_exif_orientation_is_applied(tmp_path):
    picture = Image.fromarray(photo())
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to show it
    picture.save(tmp_path / "turned.jpg", exif=exif, quality=95)
    assert images.read_picture(tmp_path / "turned.jpg").shape == (W, H, 4)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: Image.new("LAB", (W, H)).save(p / "in.tif"), "colour mode LAB cannot be read correctly"),
        (
            lambda p: Image.fromarray(np.full((H, W), 3.5, np.float32), "F").save(p / "in.tif"),
            "floating-point values from 3.5 to 3.5, not 0 to 1",
        ),
        (lambda p: Image.fromarray(np.full((H, W), -5, np.int32), "I").save(p / "in.tif"), "negative 32-bit values"),
    ],
)
def test_what_cannot_be_read_correctly_is_refused_in_one_line(tmp_path, make, words):
    make(tmp_path)
    Image.fromarray(mask()).save(tmp_path / "mask.png")
    before = digest(tmp_path / "in.tif")
    one_line_exit_2(cli("remove", "in.tif", "--mask", "mask.png", "-o", "out.png", cwd=tmp_path), words)
    assert digest(tmp_path / "in.tif") == before and not (tmp_path / "out.png").exists()


def test_masks_are_read_by_the_stated_rule(tmp_path):
    size = (W, H)
    selection = mask()
    Image.fromarray(np.dstack([selection] * 3)).save(tmp_path / "rgb.png")  # colour: its brightness
    assert np.array_equal(images.read_mask(tmp_path / "rgb.png", size), selection)
    rgba = np.dstack([np.zeros((H, W, 3), np.uint8), selection])  # black, selected by alpha
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    assert np.array_equal(images.read_mask(tmp_path / "alpha.png", size), selection)
    opaque = np.dstack([np.dstack([selection] * 3), np.full((H, W), 255, np.uint8)])  # opaque: brightness
    Image.fromarray(opaque).save(tmp_path / "opaque.png")
    assert np.array_equal(images.read_mask(tmp_path / "opaque.png", size), selection)
    Image.fromarray(selection.astype(np.uint16) * 257).save(tmp_path / "sixteen.png")  # 16-bit: scaled
    assert np.array_equal(images.read_mask(tmp_path / "sixteen.png", size), selection)
    with pytest.raises(images.ImageFileError, match="the mask is 64x48 but the image is 10x10"):
        images.read_mask(tmp_path / "rgb.png", (10, 10))


# -- one line, exit 2, for every mistake ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("remove", "photo.png", "--mask", "white.png"), "nothing left to copy the fill from"),
        (("remove", "photo.png", "--mask", "black.png"), "The selection is empty"),
        (("remove", "tiny.png", "--mask", "tiny.png"), "is 1x1 pixels; Remove Object needs at least 8x8"),
        (("background", "tiny.png"), "Replace Background needs at least 8x8"),
        (("outpaint", "photo.png"), "margins: all four are 0"),
        (("upscale", "photo.png", "--factor", "3"), "invalid choice: 3 (choose from 2, 4)"),
        (("remove", "photo.png", "--mask", "mask.png", "--grow", "-1"), "grow: -1 is out of range"),
        (
            ("insert", "photo.png", "--mask", "mask.png", "--prompt", "a hat", "--backend", "local"),
            "The local engine works offline and cannot do painting new content",
        ),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(work, args, words):
    Image.fromarray(np.full((H, W), 255, np.uint8)).save(work / "white.png")
    Image.fromarray(np.zeros((H, W), np.uint8)).save(work / "black.png")
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(work / "tiny.png")
    before = digest(work / "photo.png")
    one_line_exit_2(cli(*args, "-o", "out.png", cwd=work), words)
    assert digest(work / "photo.png") == before and not (work / "out.png").exists()


@pytest.mark.parametrize(
    ("env", "config", "words"),
    [
        ({"GOOGLE_CLOUD_PROJECT": "p"}, "", "Vertex AI is not set up: credentials: no Application Default Credentials"),
        (
            {"GOOGLE_CLOUD_PROJECT": "p", "GOOGLE_APPLICATION_CREDENTIALS": "KEY"},
            "",
            "credentials: File KEY is not a valid json file",
        ),
        (
            {"GOOGLE_CLOUD_PROJECT": "p", "IMAGEN_GIMP_ENDPOINT": "http://127.0.0.1:9"},
            "",
            "Cannot reach Vertex AI at http://127.0.0.1:9",
        ),
        ({}, "projekt = 1\n", "unknown key 'projekt'"),
        ({}, "[gemini]\nmax_parallel = 9\n", "gemini.max_parallel = 9 is out of range 1 to 4"),
    ],
)
def test_setup_mistakes_are_one_line_and_exit_2(work, env, config, words):
    (work / "key.json").write_text('{"type": "service_account", "project_id": ')
    (work / "none.toml").write_text(config)
    env = {k: v.replace("KEY", str(work / "key.json")) for k, v in env.items()}
    words = words.replace("KEY", str(work / "key.json"))
    done = cli("generate", "--prompt", "a fox", "--backend", "gemini", "-o", "out.png", cwd=work, env=env)
    one_line_exit_2(done, words)
    assert "(" not in done.stderr.split("credentials:")[-1][:2]  # a sentence, not a Python tuple


def test_a_bug_is_one_line_with_exit_1_and_the_log(tmp_path, monkeypatch, capsys):
    from plugin import cli as imagen_cli

    def broken(_args):
        raise RuntimeError("a bug in the plug-in")

    monkeypatch.setattr(imagen_cli, "run_operation", broken)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert imagen_cli.main(["upscale", "x.png"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    log = tmp_path / "imagen-gimp" / "last-error.log"
    assert len(err) == 1 and "internal error (RuntimeError: a bug in the plug-in); this is a bug" in err[0]
    assert str(log) in err[0] and "Traceback" in log.read_text()


def test_seeds_are_printed_only_where_a_seed_was_used(work):
    done = cli("upscale", "photo.png", "-o", "big.png", cwd=work)
    assert done.returncode == 0 and "wrote big.png\n" in done.stdout and "seed" not in done.stdout
    done = cli("remove", "photo.png", "--mask", "mask.png", "-o", "clean.png", "--seed", "4", cwd=work)
    assert "wrote clean.png (seed 4)" in done.stdout


def test_every_option_says_what_it_does():
    from plugin.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    for action, sub in subparsers.items():
        for option in sub._actions:
            if option.help and option.dest not in ("help",):
                words = option.help.replace("-", " ").lower()
                assert words != option.dest.replace("_", " "), (action, option.dest, option.help)


def test_a_picture_written_is_read_back_the_same(tmp_path):
    rgba = np.dstack([photo(), np.full((H, W), 200, np.uint8)])
    images.write_picture(rgba, tmp_path / "x.png")
    assert np.array_equal(images.read_picture(tmp_path / "x.png"), rgba)
    images.write_picture(rgba, tmp_path / "x.jpg")  # no alpha in JPEG: over white
    flat = np.asarray(Image.open(io.BytesIO((tmp_path / "x.jpg").read_bytes())).convert("RGB")).astype(int)
    over_white = (photo().astype(int) * 200 + 255 * 55 + 127) // 255
    over_black = photo().astype(int) * 200 // 255
    assert np.abs(flat - over_white).mean() < 6 < 30 < np.abs(flat - over_black).mean()  # JPEG noise aside


def test_automatic_without_credentials_names_the_credentials(work):
    """A project but no credentials: Automatic works offline, and a cloud-only action says what is missing
    (the credentials), not to set the project it already has."""
    done = cli(
        "insert",
        "photo.png",
        "--mask",
        "mask.png",
        "--prompt",
        "a hat",
        "-o",
        "out.png",
        cwd=work,
        env={"GOOGLE_CLOUD_PROJECT": "my-project"},
    )
    one_line_exit_2(
        done,
        "Vertex AI is not set up: credentials: no Application Default Credentials found; run "
        "`gcloud auth application-default login`",
    )
    assert "GOOGLE_CLOUD_PROJECT" not in done.stderr.split("credentials:")[1].split("; run")[0]
