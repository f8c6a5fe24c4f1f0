"""result.json as the layers to paste: names, positions in the image, masks and provenance parasites.

Both adapters paste a PastePlan the same way (one undo group, the first layer visible); where each
layer goes comes from the job's Placement (plugin/regions.py). GIMP's Python (2.7 for GIMP 2.10):
standard library only, 2.7 syntax, type comments.
"""

from __future__ import absolute_import

import collections
import json
import os

from plugin import __version__, actions, regions
from plugin.errors import HostError
from plugin.link.jobfiles import text

PLUGIN_VERSION = __version__  # the one version constant (plugin/__init__.py; pyproject reads it too)
PARASITE_NAME = "imagen-gimp-provenance"
COMMENT_PARASITE = "gimp-comment"
RESTORED_SELECTION = "restored-selection.raw"
SECRET_WORDS = ("key", "token", "secret", "password", "credential", "authorization")


LayerPlan = collections.namedtuple("LayerPlan",
                                   "name x y width height pixels_path mask_path visible parasite")
PastePlan = collections.namedtuple("PastePlan", "target group_name layers canvas size texts notes selection")
PastePlan.__new__.__defaults__ = (None,)
"""target: "layers" (into the image), "new-image" (generate, customize, upscale), "text" (describe,
verify), "harmonized" (layers holds GroupPlans: one group per variation above the object),
"into-group" (Refine Result: beside the active result layer, in its group) or "selection" (select
subject: the first layer's red channel, at its place, becomes the selection);
canvas: (left, top, right, bottom) to grow the canvas by first, or None; size: new image size;
selection: a LayerPlan whose pixels (one byte a pixel, or RGBA's red) replace the image's selection after
the layers, in the same undo group (Run Again: the result's mask), or None."""
GroupPlan = collections.namedtuple("GroupPlan", "name layers visible")
"""Harmonize: one variation's group; layers top to bottom (the harmonized object, then its shadow)."""


def provenance_payload(provenance):
    # type: (dict) -> bytes
    """The parasite data: compact JSON, with anything that looks like a secret dropped."""
    clean = dict((k, v) for k, v in (provenance or {}).items()
                 if not any(word in k.lower() for word in SECRET_WORDS))
    clean.setdefault("plugin_version", PLUGIN_VERSION)
    return json.dumps(clean, sort_keys=True, separators=(",", ":")).encode("utf-8")


def recipe_from_payload(data):
    # type: (object) -> dict
    """A provenance parasite's data (bytes, or GIMP 3's list of byte values) as the recipe it holds;
    None when it is not one (damaged, or not a JSON object): the caller says what to select instead."""
    if data is None:
        return None
    try:
        recipe = json.loads(bytes(bytearray(data)).decode("utf-8"))
    except ValueError:  # UnicodeDecodeError is one too
        return None
    return recipe if isinstance(recipe, dict) else None


def plan_paste(action, operation, folder, result, where):
    # type: (str, dict, str, dict, regions.Placement) -> PastePlan
    """Turn result.json into layers placed by `where`; the first layer visible, the rest hidden."""
    title = actions.title(action)
    layers = []
    for index, layer in enumerate(result.get("layers", [])):
        x, y = regions.place(where, layer.get("x", 0), layer.get("y", 0))
        provenance = dict(layer.get("provenance") or {})
        provenance.setdefault("action", action)
        name = layer.get("name") or "%s #%d" % (title, index + 1)
        mask = os.path.join(folder, layer["mask"]) if layer.get("mask") else None
        layers.append(LayerPlan(text(name), x, y, int(layer["width"]), int(layer["height"]),
                                os.path.join(folder, layer["pixels"]), mask, index == 0,
                                provenance_payload(provenance)))
    texts = [text(t) for t in result.get("texts", [])]
    notes = [text(n) for n in result.get("notes", [])]
    canvas = result.get("canvas")
    canvas = tuple(int(v) for v in canvas) if canvas else None
    if where.target == "text":
        return PastePlan("text", None, [], None, None, texts, notes)
    if where.target == "harmonized":
        return _harmonized(title, result, layers, texts, notes)
    if not layers:
        raise HostError("%s: the worker returned no picture. The image was not changed." % title)
    size = None
    target = "layers"
    if where.target == "into-group":  # Refine Result: beside the result layer, in its group
        return PastePlan("into-group", None, layers, None, None, texts, notes)
    if where.target == "selection":
        return PastePlan("selection", None, layers[:1], None, None, texts, notes)
    if where.target == "new-image":
        target = "new-image"
        size = (max(item.width + item.x for item in layers), max(item.height + item.y for item in layers))
    group = text(result["group"]) if result.get("group") else actions.group_name(action, operation.get("prompt"))
    return PastePlan(target, group, layers, canvas, size, texts, notes)


def _harmonized(title, result, layers, texts, notes):
    # type: (str, dict, list, list, list) -> PastePlan
    """One group per variation (first visible), holding its layers top first: the object over its shadow."""
    groups = []  # type: list
    for entry, layer in zip(result.get("layers", []), layers):  # noqa: B905 - 2.7 syntax
        name = text(entry.get("group") or title)
        if not groups or groups[-1][0] != name:
            groups.append((name, []))
        groups[-1][1].insert(0, layer._replace(visible=True))  # the worker writes them bottom up
    if not groups:
        raise HostError("%s: the worker returned no picture. The image was not changed." % title)
    plans = [GroupPlan(name, members, index == 0) for index, (name, members) in enumerate(groups)]
    return PastePlan("harmonized", plans[0].name, plans, None, None, texts, notes)


def read_file(path):
    # type: (str) -> bytes
    with open(path, "rb") as handle:
        return handle.read()


def selection_bytes(plan):
    # type: (LayerPlan) -> bytes
    """The selection's values (one byte a pixel, 255 = selected) from a result layer's RGBA file: its
    red channel (the worker writes the matte as grey). Bytes slicing: fast without NumPy."""
    data = read_file(plan.pixels_path)
    if len(data) == plan.width * plan.height:  # a mask as read from a layer (Run Again)
        return data
    if len(data) != plan.width * plan.height * 4:
        raise HostError("the selection result has the wrong size; the image was not changed.")
    return data[0::4]


def with_selection(plan, folder, rect, mask):
    # type: (PastePlan, str, object, bytes) -> PastePlan
    """Run Again: `plan` also replacing the image's selection by `mask` (rect's size, one byte a pixel), the
    result layer's mask it was read from; kept in the job folder until the paste."""
    path = os.path.join(folder, RESTORED_SELECTION)
    with open(path, "wb") as handle:
        handle.write(mask)
    layer = LayerPlan(u"selection", rect.x, rect.y, rect.width, rect.height, path, None, False, b"")
    return plan._replace(selection=layer)


def describe_text(title, texts):
    # type: (str, list) -> str
    if not texts:
        return "%s: no description came back." % title
    if len(texts) == 1:
        return texts[0]
    return "\n\n".join("%d. %s" % (i + 1, t) for i, t in enumerate(texts))
