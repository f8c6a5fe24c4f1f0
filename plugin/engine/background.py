"""Put something else behind a cut-out subject: nothing, a flat colour, a blur of itself, an image.

Every mode is the same Porter-Duff "over": the subject (original colours, alpha = layer alpha x
matte) over a background layer, so subject pixels with matte 255 come out exactly as they were and
soft matte edges blend instead of fringing.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

MODES = ("transparent", "color", "blur", "image")


def parse_color(color: str) -> tuple[int, int, int]:
    """'#rrggbb' or '#rgb' -> (r, g, b)."""
    text = color.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    if len(text) != 6:
        raise ValueError(f"colour must look like #rrggbb, not {color!r}")
    try:
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    except ValueError:
        raise ValueError(f"colour must look like #rrggbb, not {color!r}") from None


def _blur_behind(rgb: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    """Normalised convolution: blur only background pixels, so the subject does not bleed into it.

    Where the subject hides everything within reach of the kernel, widen the kernel (x4, x16) and
    finally use the mean background colour, so the hole behind the subject is filled plausibly.
    """
    out = np.zeros_like(rgb)
    missing = np.ones(weight.shape, bool)
    for s in (sigma, sigma * 4, sigma * 16):
        den = cv2.GaussianBlur(weight, (0, 0), s, borderType=cv2.BORDER_REFLECT)
        num = cv2.GaussianBlur(rgb * weight[..., None], (0, 0), s, borderType=cv2.BORDER_REFLECT)
        ok = missing & (den > 1e-3)
        out[ok] = num[ok] / den[ok, None]
        missing &= ~ok
        if not missing.any():
            return out
    total = weight.sum()
    fill = (rgb * weight[..., None]).sum(axis=(0, 1)) / total if total > 0 else rgb.mean(axis=(0, 1))
    out[missing] = fill
    return out


def _cover(backdrop: np.ndarray, h: int, w: int) -> np.ndarray:
    """Scale an RGBA backdrop to cover h x w (keep aspect, crop the overflow, centred); float32."""
    image = Image.fromarray(np.ascontiguousarray(backdrop, np.uint8), "RGBA")
    scale = max(w / image.width, h / image.height)
    sw, sh = max(w, round(image.width * scale)), max(h, round(image.height * scale))
    # Premultiply so transparent backdrop pixels do not darken their neighbours when resampled.
    image = image.convert("RGBa").resize((sw, sh), Image.Resampling.LANCZOS).convert("RGBA")
    left, top = (sw - w) // 2, (sh - h) // 2
    return np.asarray(image.crop((left, top, left + w, top + h)), np.float32)


def replace_background(
    rgba: np.ndarray,
    alpha: np.ndarray,
    mode: str,
    color: str = "#ffffff",
    blur_radius: int = 24,
    backdrop: np.ndarray | None = None,
) -> np.ndarray:
    """Composite the subject (matte `alpha`, 255 = subject) over a new background; HxWx4 uint8.

    mode 'transparent': background alpha 0. 'color': flat #rrggbb. 'blur': the original blurred
    (Gaussian sigma = blur_radius px) with subject pixels excluded. 'image': `backdrop` RGBA scaled
    to cover the frame, centred.
    """
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"expected HxWx4 RGBA, got {rgba.shape}")
    h, w = rgba.shape[:2]
    if alpha.shape != (h, w):
        raise ValueError(f"alpha must be {h}x{w}, got {alpha.shape}")
    if mode not in MODES:
        raise ValueError(f"unknown background mode {mode!r}; expected one of {', '.join(MODES)}")
    rgb = rgba[..., :3].astype(np.float32)
    layer_a = rgba[..., 3].astype(np.float32) / 255.0
    sub_a = layer_a * (alpha.astype(np.float32) / 255.0)

    if mode == "transparent":
        bg_rgb, bg_a = np.zeros_like(rgb), np.zeros((h, w), np.float32)
    elif mode == "color":
        bg_rgb = np.broadcast_to(np.array(parse_color(color), np.float32), rgb.shape)
        bg_a = np.ones((h, w), np.float32)
    elif mode == "blur":
        weight = layer_a * (1.0 - alpha.astype(np.float32) / 255.0)
        bg_rgb = _blur_behind(rgb, weight, max(0.5, float(blur_radius)))
        bg_a = np.ones((h, w), np.float32)
    else:
        if backdrop is None:
            raise ValueError("background mode 'image' needs a backdrop image")
        if backdrop.ndim != 3 or backdrop.shape[2] not in (3, 4):
            raise ValueError(f"backdrop must be HxWx3 or HxWx4, got {backdrop.shape}")
        if backdrop.shape[2] == 3:
            backdrop = np.dstack([backdrop, np.full(backdrop.shape[:2], 255, np.uint8)])
        cover = _cover(backdrop, h, w)
        bg_rgb, bg_a = cover[..., :3], cover[..., 3] / 255.0

    out_a = sub_a + bg_a * (1.0 - sub_a)
    with np.errstate(divide="ignore", invalid="ignore"):
        out_rgb = (rgb * sub_a[..., None] + bg_rgb * (bg_a * (1.0 - sub_a))[..., None]) / out_a[..., None]
    out_rgb = np.where(out_a[..., None] > 0, out_rgb, 0.0)
    # Where the subject is fully kept, hand back the original bytes untouched (no float round trip).
    out = np.empty((h, w, 4), np.uint8)
    out[..., :3] = np.clip(out_rgb + 0.5, 0, 255)
    out[..., 3] = np.clip(out_a * 255.0 + 0.5, 0, 255)
    solid = (alpha == 255) & ((rgba[..., 3] == 255) | (mode == "transparent"))
    out[solid] = rgba[solid]
    return out
