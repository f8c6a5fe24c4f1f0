"""Make the README's before/after pictures by running the CLI on the shipped photos.

Run: .venv/bin/python docs/make_pictures.py   (writes docs/img/*.jpg, a few tens of KB each)

The offline pictures are the engine's real output. The cloud ones (Harmonize, Refine Result, Run Again)
come from the project's loopback emulator (emulator/), started here: its answers are deterministic
patterns standing in for a model's picture, so those pictures show what the plug-in does with an answer
(where it goes, what stays bit for bit), never what Google's models would paint.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
OUT = ROOT / "docs" / "img"
CHECKER = 16


def cli(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "plugin", *args, "--quiet"], check=True, cwd=ROOT, env={**os.environ, **(env or {})}
    )


def on_checker(picture: Image.Image) -> Image.Image:
    """Show transparency as GIMP does, on a grey checkerboard."""
    board = Image.new("RGB", picture.size, (200, 200, 200))
    draw = ImageDraw.Draw(board)
    for y in range(0, picture.height, CHECKER):
        for x in range((y // CHECKER) % 2 * CHECKER, picture.width, 2 * CHECKER):
            draw.rectangle((x, y, x + CHECKER - 1, y + CHECKER - 1), fill=(150, 150, 150))
    board.paste(picture, (0, 0), picture.convert("RGBA"))
    return board


def side_by_side(before: Image.Image, after: Image.Image, name: str, height: int = 300) -> None:
    in_a_row([before, after], name, height)


def in_a_row(shown: list[Image.Image], name: str, height: int = 300) -> None:
    """The pictures at one height, 8 px apart, as one JPEG."""
    pictures = [on_checker(p.convert("RGBA")) for p in shown]
    pictures = [p.resize((round(p.width * height / p.height), height), Image.Resampling.LANCZOS) for p in pictures]
    sheet = Image.new("RGB", (sum(p.width for p in pictures) + 8 * (len(pictures) - 1), height), (255, 255, 255))
    x = 0
    for picture in pictures:
        sheet.paste(picture, (x, 0))
        x += picture.width + 8
    sheet.save(OUT / name, quality=85)


def quick_mask(photo: Path, mask: Path) -> Image.Image:
    """The selection as GIMP's Quick Mask shows it: what is not selected under a half-opaque red."""
    picture = Image.open(photo).convert("RGB")
    red = Image.blend(picture, Image.new("RGB", picture.size, (255, 0, 0)), 0.5)
    return Image.composite(picture, red, Image.open(mask).convert("L"))


def selection_overlay(photo: Path, mask: Path) -> Image.Image:
    """The photo with the selection shown as GIMP's marching ants would suggest: a tinted area."""
    picture = Image.open(photo).convert("RGB")
    tint = Image.new("RGB", picture.size, (255, 60, 60))
    return Image.composite(Image.blend(picture, tint, 0.45), picture, Image.open(mask).convert("L"))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        rocket, tower = DATA / "rocket.jpg", DATA / "rocket-tower-mask.png"
        cli("remove", str(rocket), "--mask", str(tower), "--seed", "1", "-o", str(work / "remove.png"))
        side_by_side(selection_overlay(rocket, tower), Image.open(work / "remove.png"), "remove.jpg")

        cli(
            "outpaint",
            str(rocket),
            "--top",
            "100",
            "--left",
            "80",
            "--right",
            "80",
            "--seed",
            "1",
            "-o",
            str(work / "wide.png"),
        )
        side_by_side(Image.open(rocket), Image.open(work / "wide.png"), "outpaint.jpg")

        coffee = DATA / "coffee.jpg"
        cli("background", str(coffee), "--mode", "transparent", "-o", str(work / "cutout.png"))
        side_by_side(Image.open(coffee), Image.open(work / "cutout.png"), "background.jpg")
        cli("background", str(coffee), "--mode", "blur", "--blur-radius", "12", "-o", str(work / "blur.png"))
        side_by_side(Image.open(coffee), Image.open(work / "blur.png"), "background-blur.jpg")

        astronaut = Image.open(DATA / "astronaut.jpg").convert("RGB")
        face = astronaut.crop((180, 40, 330, 190))
        small = face.resize((75, 75), Image.Resampling.LANCZOS)
        small.save(work / "small.png")
        cli("upscale", str(work / "small.png"), "--factor", "2", "-o", str(work / "big.png"))
        bicubic = small.resize((150, 150), Image.Resampling.BICUBIC)
        side_by_side(bicubic, Image.open(work / "big.png"), "upscale.jpg", height=240)

        astronaut_path = DATA / "astronaut.jpg"
        cli("subject", str(astronaut_path), "-o", str(work / "subject.png"))
        in_a_row(
            [
                Image.open(astronaut_path),
                quick_mask(astronaut_path, work / "subject.png"),
                Image.open(work / "subject.png"),
            ],
            "subject.jpg",
            height=260,
        )
        cloud_pictures(work)
    for path in sorted(OUT.glob("*.jpg")):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


def cloud_pictures(work: Path) -> None:
    """Harmonize, Refine Result and Run Again, answered by the loopback emulator (patterned pictures)."""
    sys.path.insert(0, str(ROOT))
    from emulator import start_in_thread

    server, url = start_in_thread(port=0)
    env = {
        "IMAGEN_GIMP_ENDPOINT": url,
        "GOOGLE_CLOUD_PROJECT": "demo",
        "IMAGEN_GIMP_WARM": "0",
        "IMAGEN_GIMP_CONVERSATIONS": str(work / "conversations"),
    }
    try:
        coffee = DATA / "coffee.jpg"
        saucer = Image.new("L", (600, 400), 0)
        ImageDraw.Draw(saucer).ellipse((330, 120, 450, 230), fill=255)
        saucer.save(work / "saucer.png")
        cli(
            "insert",
            str(coffee),
            "--mask",
            str(work / "saucer.png"),
            "--prompt",
            "a small red paper boat",
            "--seed",
            "3",
            "-o",
            str(work / "boat.png"),
            env=env,
        )
        cli(
            "refine",
            str(work / "boat.png"),
            "--prompt",
            "make the boat dark blue",
            "--seed",
            "4",
            "-o",
            str(work / "boat-blue.png"),
            env=env,
        )
        in_a_row(
            [
                selection_overlay(coffee, work / "saucer.png"),
                Image.open(work / "boat.png"),
                Image.open(work / "boat-blue.png"),
            ],
            "refine.jpg",
            height=240,
        )
        cli("refine", str(work / "boat.png"), "--again", "--seed", "5", "-o", str(work / "boat-again.png"), env=env)
        in_a_row([Image.open(work / "boat.png"), Image.open(work / "boat-again.png")], "run-again.jpg", height=240)

        rocket, astronaut = DATA / "rocket.jpg", DATA / "astronaut.jpg"
        cli("subject", str(astronaut), "-o", str(work / "astronaut-mask.png"))
        person = Image.open(astronaut).convert("RGBA")
        person.putalpha(Image.open(work / "astronaut-mask.png").convert("L"))
        person = person.crop(person.getchannel("A").point(lambda v: 255 if v > 128 else 0).getbbox())
        person = person.resize((150, round(150 * person.height / person.width)), Image.Resampling.LANCZOS)
        person.save(work / "person.png")
        at = (60, 427 - person.height)
        pasted = Image.open(rocket).convert("RGBA")
        pasted.alpha_composite(person, at)
        cli(
            "harmonize",
            str(rocket),
            "--object",
            str(work / "person.png"),
            "--at",
            f"{at[0]},{at[1]}",
            "--prompt",
            "night light from the launch pad",
            "--seed",
            "2",
            "-o",
            str(work / "harmonized.png"),
            env=env,
        )
        side_by_side(pasted, Image.open(work / "harmonized.png"), "harmonize.jpg")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
