"""The issue's first "Done when": `imagen-gimp refine` against the loopback emulator with strict replay,
no settings file, only GOOGLE_CLOUD_PROJECT (and the loopback endpoint): Inpaint a photo, refine twice.
Also Run Again (--again) and the messages for a picture without a recipe."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys

import numpy as np
from PIL import Image

from plugin import images, masks
from plugin.ops import InpaintInsert
from tests.conftest import DATA, photo
from tests.gemini_support import draft_share

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOX = (150, 100, 260, 200)  # x0, y0, x1, y1 of the selection on cat.jpg (451 x 300)


def run_cli(tmp_path, url, *args):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GOOGLE_", "IMAGEN_GIMP_", "CLOUDSDK_")) or k == "IMAGEN_GIMP_WORKER_OWNER"
    }
    env.update(
        PYTHONPATH=ROOT,
        GOOGLE_CLOUD_PROJECT="fresh-project",
        IMAGEN_GIMP_ENDPOINT=url,
        IMAGEN_GIMP_CONFIG=str(tmp_path / "no-settings.toml"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    return subprocess.run(
        [sys.executable, "-m", "plugin", *args], capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=300
    )


def raw(data: str) -> bytes:
    return base64.b64decode(data.replace("-", "+").replace("_", "/") + "=" * (-len(data) % 4))


def same_bytes(part: dict) -> dict:
    """A part with its base64 fields decoded (google-genai sends URL-safe base64, the service standard)."""
    out = dict(part)
    if "thoughtSignature" in out:
        out["thoughtSignature"] = raw(out["thoughtSignature"])
    if "inlineData" in out:
        blob = out["inlineData"]
        out["inlineData"] = (blob.get("mimeType") or blob.get("mime_type"), raw(blob["data"]))
    return out


def rgb(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as picture:
        return np.asarray(picture.convert("RGB")).astype(np.float64)


def final_of(reply: dict) -> np.ndarray:
    parts = reply["candidates"][0]["content"]["parts"]
    return rgb(raw([p for p in parts if "inlineData" in p and not p.get("thought")][-1]["inlineData"]["data"]))


def squares(final: np.ndarray, mask_bbox: tuple[int, int, int, int]) -> int:
    """How many black squares the emulator drew on its white strip at the top-left of the changed area
    (emulator/conversation.py mark_turn: squares of `side`, one gap apart); 0 when there is no strip."""
    x0, y0, x1, y1 = mask_bbox
    grey = final.mean(axis=2)
    for turn in range(8, 0, -1):  # the largest count that fits: a longer strip would show pattern
        side = max(3, min((y1 - y0) // 8, (x1 - x0) // (2 * turn + 2)))
        span = slice(x0 + side, x0 + 2 * turn * side)  # from the first square to the last
        strip = grey[y0 + side // 2, span]  # above the squares: white
        dark = grey[y0 + side + side // 2, span] < 60  # through the squares
        runs = int(np.count_nonzero(dark[1:] & ~dark[:-1]) + dark[0])
        if strip.size and strip.min() > 200 and runs == turn and dark[0] and dark[-1]:
            return turn
    return 0


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_inpaint_then_refine_twice_replays_the_conversation(emulator, tmp_path):
    emulator.requests.clear()
    emulator.faults.clear()
    original = photo("cat")
    height, width = original.shape[:2]
    x0, y0, x1, y1 = BOX
    selection = np.zeros((height, width), np.uint8)
    selection[y0:y1, x0:x1] = 255
    Image.fromarray(selection).save(tmp_path / "mask.png")
    first = run_cli(
        tmp_path,
        emulator.url,
        "insert",
        str(DATA / "cat.jpg"),
        "--mask",
        "mask.png",
        "--prompt",
        "a red woollen hat",
        "-o",
        "hat.png",
        "--quiet",
    )
    assert first.returncode == 0, first.stderr
    second = run_cli(
        tmp_path, emulator.url, "refine", "hat.png", "--prompt", "make it dark blue", "-o", "blue.png", "--quiet"
    )
    assert second.returncode == 0, second.stderr
    third = run_cli(
        tmp_path, emulator.url, "refine", "blue.png", "--prompt", "a little smaller", "-o", "smaller.png", "--quiet"
    )
    assert third.returncode == 0, third.stderr

    records = [r for r in emulator.requests if r.path.endswith(":generateContent")]
    assert [r.status for r in records] == [200, 200, 200]  # every replay accepted under strict rules
    contents = [r.body["contents"] for r in records]
    assert [len(c) for c in contents] == [1, 3, 5]
    assert [c["role"] for c in contents[2]] == ["user", "model", "user", "model", "user"]
    # each model turn goes back exactly as it came, every signed part byte for byte with its signature
    for turn, reply in ((contents[1][1], records[0].reply), (contents[2][3], records[1].reply)):
        returned = reply["candidates"][0]["content"]["parts"]
        assert [same_bytes(p) for p in turn["parts"]] == [same_bytes(p) for p in returned]
        assert any("thoughtSignature" in p for p in turn["parts"])
    assert contents[2][:3] == contents[1]  # the earlier turns are the same on every follow-up
    assert contents[1][2]["parts"][-1]["text"].startswith("Now change your last picture")
    assert "make it dark blue" in contents[1][2]["parts"][-1]["text"]
    assert "a little smaller" in contents[2][4]["parts"][-1]["text"]

    # the store is where the README says, with one exchange per request
    store = tmp_path / "cache" / "imagen-gimp" / "conversations"
    assert len(list(store.glob("*.json"))) == 3

    sent_mask = rgb(raw(contents[0][0]["parts"][1]["inlineData"]["data"]))[..., 0] > 127
    op = InpaintInsert(prompt="a red woollen hat")
    keep = masks.weight_to_u8(masks.blend_weight(selection, op.grow, op.feather)) == 0
    previous = original
    for number, (name, record) in enumerate((("blue.png", records[1]), ("smaller.png", records[2])), start=2):
        refined = np.asarray(Image.open(tmp_path / name).convert("RGBA"))
        assert np.array_equal(refined[keep], original[keep])  # outside: the photo, bit for bit
        inside = refined[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2]
        assert not np.array_equal(inside, previous[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2])
        assert draft_share(refined) < 0.001
        final = final_of(record.reply)
        scaled = (
            np.asarray(
                Image.fromarray(sent_mask.astype(np.uint8) * 255).resize(
                    (final.shape[1], final.shape[0]), Image.Resampling.NEAREST
                )
            )
            > 0
        )
        rows, cols = np.flatnonzero(scaled.any(axis=1)), np.flatnonzero(scaled.any(axis=0))
        bbox = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
        assert squares(final, bbox) == number  # the emulator answered turn 2, then turn 3
        # the refined picture inside the selection is the model's final picture there (colour-matched)
        grown = op.grow + op.feather
        change = final[bbox[1] : bbox[3], bbox[0] : bbox[2]]
        size = (x1 - x0 + 2 * grown, y1 - y0 + 2 * grown)
        expected = np.asarray(Image.fromarray(change.astype(np.uint8)).resize(size, Image.Resampling.BILINEAR))
        expected = expected[grown + 4 : -grown - 4, grown + 4 : -grown - 4].astype(np.float64).mean(axis=2)
        got = refined[y0 + 4 : y1 - 4, x0 + 4 : x1 - 4, :3].astype(np.float64).mean(axis=2)
        assert correlation(got, expected) > 0.9
        previous = refined
    recipe = images.read_recipe(str(tmp_path / "smaller.png"))
    assert recipe["turn"] == 3 and recipe["instruction"] == "a little smaller" and recipe["action"] == "insert"


def test_run_again_uses_the_original_and_the_recipe(emulator, tmp_path):
    emulator.requests.clear()
    original = photo("coffee")
    height, width = original.shape[:2]
    selection = np.zeros((height, width), np.uint8)
    selection[60:140, 50:150] = 255
    Image.fromarray(selection).save(tmp_path / "mask.png")
    done = run_cli(
        tmp_path,
        emulator.url,
        "insert",
        str(DATA / "coffee.jpg"),
        "--mask",
        "mask.png",
        "--prompt",
        "a silver spoon",
        "--seed",
        "7",
        "-o",
        "spoon.png",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    again = run_cli(tmp_path, emulator.url, "refine", "spoon.png", "--again", "-o", "again.png", "--quiet")
    assert again.returncode == 0, again.stderr
    first, repeat = [r.body for r in emulator.requests if r.path.endswith(":generateContent")]
    assert len(repeat["contents"]) == 1  # a new one-shot action, not a follow-up
    assert repeat["generationConfig"]["seed"] == 7 == first["generationConfig"]["seed"]
    # the same request as the first: same pixels sent (the original photo, not the result), same words
    assert repeat["contents"] == first["contents"]
    assert np.array_equal(
        np.asarray(Image.open(tmp_path / "again.png")), np.asarray(Image.open(tmp_path / "spoon.png"))
    )


def test_a_picture_without_a_recipe_is_one_line(emulator, tmp_path):
    Image.fromarray(photo("cat")).save(tmp_path / "plain.png")
    done = run_cli(tmp_path, emulator.url, "refine", "plain.png", "--prompt", "bluer")
    assert done.returncode == 2 and "carries no imagen-gimp recipe" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
