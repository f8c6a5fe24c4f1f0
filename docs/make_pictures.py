"""Make the README's before/after pictures by running the CLI on the shipped photos.

Run: .venv/bin/python docs/make_pictures.py   (writes docs/img/*.jpg, a few tens of KB each)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
OUT = ROOT / "docs" / "img"
CHECKER = 16


def cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "plugin", *args, "--quiet"], check=True, cwd=ROOT)


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
    pictures = [on_checker(p.convert("RGBA")) for p in (before, after)]
    pictures = [p.resize((round(p.width * height / p.height), height), Image.Resampling.LANCZOS)
                for p in pictures]
    sheet = Image.new("RGB", (pictures[0].width + pictures[1].width + 8, height), (255, 255, 255))
    sheet.paste(pictures[0], (0, 0))
    sheet.paste(pictures[1], (pictures[0].width + 8, 0))
    sheet.save(OUT / name, quality=85)


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

        cli("outpaint", str(rocket), "--top", "100", "--left", "80", "--right", "80", "--seed", "1",
            "-o", str(work / "wide.png"))
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
    for path in sorted(OUT.glob("*.jpg")):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
