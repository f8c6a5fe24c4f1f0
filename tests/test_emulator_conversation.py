"""The emulator holds conversations as the service does: a follow-up carries the history, signed model parts
must come back exactly (a changed part or a moved signature is a 400), and each follow-up's picture shows
which turn it answers (one black square per user turn on a white strip)."""

from __future__ import annotations

import base64
import copy

import numpy as np
from google.genai import types

from emulator.conversation import mark_turn
from emulator.pictures import resize_mask
from tests.emulator_support import final_image, gradient, image_part, model_path, post

FLASH = "gemini-3.1-flash-image"


def config():
    return types.GenerateContentConfig(
        response_modalities=["TEXT", "IMAGE"], image_config=types.ImageConfig(aspect_ratio="1:1", image_size="1K")
    )


def test_each_follow_up_shows_its_turn_and_keeps_the_mask_of_the_first_edit(genai, server):
    picture = gradient(256, 256)
    mask = np.zeros((256, 256, 3), np.uint8)
    mask[64:192, 64:192] = 255
    chat = genai.chats.create(model=FLASH, config=config())
    first = final_image(chat.send_message([image_part(picture), image_part(mask), "a red ball in the white area"]))
    second = final_image(chat.send_message("make it blue"))
    third = final_image(chat.send_message("smaller"))
    assert [len(b["contents"]) for b in server.generate_bodies()] == [1, 3, 5]
    scale = first.shape[0] // 256
    outside = np.ones(first.shape[:2], bool)
    outside[64 * scale - 2 : 192 * scale + 2, 64 * scale - 2 : 192 * scale + 2] = False
    # outside the first edit's mask each follow-up keeps the last picture (with the model's drift)
    assert np.abs(second[outside].astype(int) - first[outside]).mean() < 8
    assert np.abs(third[outside].astype(int) - second[outside]).mean() < 8
    for answer, turn in ((second, 2), (third, 3)):
        inside = resize_mask(mask[..., 0], answer.shape[1::-1]) > 0  # the mask as the emulator scales it
        expected = mark_turn(answer, inside, turn)
        assert np.array_equal(expected, answer)  # the mark is there: drawing it again changes nothing
        assert not np.array_equal(mark_turn(answer, inside, turn + 1), answer)


def test_a_changed_or_moved_signature_is_a_400(genai, server):
    chat = genai.chats.create(model=FLASH, config=config())
    chat.send_message("a blue bird")
    chat.send_message("now red")
    body = server.generate_bodies()[-1]
    path = model_path(FLASH)
    moved = copy.deepcopy(body)
    parts = moved["contents"][1]["parts"]
    signed = next(p for p in parts if "thoughtSignature" in p)
    text = next(p for p in parts if "text" in p and not p.get("thought") and "thoughtSignature" not in p)
    text["thoughtSignature"] = signed["thoughtSignature"]  # a signature on a part it was not issued for
    status, reply = post(server.url, path, moved)
    assert status == 400 and "Corrupted thought signature in content position 2" in reply["error"]["message"]
    status, _ = post(server.url, path, body)  # exactly as returned: accepted
    assert status == 200


def test_a_history_from_another_answer_is_refused(genai, server):
    """A signature proves its own part only: an earlier picture swapped in under a later signature fails."""
    chat = genai.chats.create(model=FLASH, config=config())
    chat.send_message("a blue bird")
    chat.send_message("now red")
    body = server.generate_bodies()[-1]
    other = genai.models.generate_content(model=FLASH, contents="a green fish", config=config())
    fish = next(p for p in other.candidates[0].content.parts if p.inline_data is not None and not p.thought)
    swapped = copy.deepcopy(body)
    final = next(p for p in swapped["contents"][1]["parts"] if "thoughtSignature" in p)
    final["inlineData"]["data"] = base64.b64encode(fish.inline_data.data).decode()
    status, reply = post(server.url, model_path(FLASH), swapped)
    assert status == 400 and "Corrupted thought signature" in reply["error"]["message"]
