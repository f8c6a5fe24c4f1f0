"""Pixels in a layer's own 8-bit format, read only where the layer has pixels, as the RGBA the job wants.

GIMP 2.10's pixel regions give nothing else; GIMP 3 reads this way too, because babl's first conversion in
a plug-in process costs 0.5-2.5 s and every call is a new process. Also GIMP 2.10's PF_OPTION indices and
colour defaults. Python 2.7 syntax (GIMP 2.10 shares it), standard library only.
"""

from __future__ import absolute_import

from plugin.errors import HostError
from plugin.hosts.operation import to_unicode


def pad_region(data, inner, outer, bpp):
    # type: (bytes, Rect, Rect, int) -> bytes
    """inner's rows placed in a zero-filled outer (same coordinates): transparent / unselected outside.

    For hosts that can read only where a drawable has pixels (GIMP 2.10's pixel regions) while the
    job wants the whole planned rectangle.
    """
    if tuple(inner) == tuple(outer):
        return data
    out = bytearray(outer.width * outer.height * bpp)
    row_bytes = inner.width * bpp
    if row_bytes > 0:
        dx = (inner.x - outer.x) * bpp
        for row in range(inner.height):
            start = (inner.y - outer.y + row) * outer.width * bpp + dx
            out[start:start + row_bytes] = data[row * row_bytes:(row + 1) * row_bytes]
    return bytes(out)


def to_rgba(data, bpp):
    # type: (bytes, int) -> bytes
    """8-bit RGB, gray or gray+alpha pixels as RGBA: GIMP 2.10 pixel regions give the layer's own format.

    Slice copies, so a megapixel takes milliseconds even in Python 2.7.
    """
    if bpp == 4:
        return data
    if bpp not in (1, 2, 3):
        raise ValueError("cannot read %d bytes per pixel (indexed images are not supported)" % bpp)
    source = bytearray(data)
    out = bytearray(b"\xff" * (len(source) // bpp * 4))
    if bpp == 3:
        for channel in range(3):
            out[channel::4] = source[channel::3]
    else:
        gray = source[0::bpp]
        for channel in range(3):
            out[channel::4] = gray
        if bpp == 2:
            out[3::4] = source[1::2]
    return bytes(out)


def from_rgba(data, bpp):
    # type: (bytes, int) -> bytes
    """RGBA as bpp bytes per pixel, for writing a GIMP 2.10 layer of that type (gray: Rec. 601 luma)."""
    if bpp == 4:
        return data
    source = bytearray(data)
    if bpp == 3:
        out = bytearray(len(source) // 4 * 3)
        for channel in range(3):
            out[channel::3] = source[channel::4]
        return bytes(out)
    luma = bytearray((r * 77 + g * 150 + b * 29 + 128) >> 8
                     for r, g, b in zip(source[0::4], source[1::4], source[2::4]))  # noqa: B905
    if bpp == 1:
        return bytes(luma)
    out = bytearray(len(luma) * 2)
    out[0::2] = luma
    out[1::2] = source[3::4]
    return bytes(out)


def masked_alpha(rgba, mask):
    # type: (bytes, bytes) -> bytes
    """RGBA whose alpha is multiplied by a layer mask (one byte per pixel): the layer as GIMP shows it.

    Harmonize reads a pasted object that may be cut out by a mask rather than by transparency.
    """
    out = bytearray(rgba)
    out[3::4] = bytearray((a * m + 127) // 255 for a, m in zip(bytearray(rgba[3::4]), bytearray(mask)))  # noqa: B905
    return bytes(out)


def hex_rgb(text):
    # type: (str) -> tuple
    """'#rrggbb' as (r, g, b) 0-255: the form GIMP 2.10's PF_COLOR default takes."""
    text = text.lstrip("#")
    return tuple(int(text[i:i + 2], 16) for i in (0, 2, 4))


def choice_nick(param, raw):
    # type: (Param, object) -> str
    """A choice argument as its nick, from an index (GIMP 2.10's PF_OPTION) or the nick itself."""
    if isinstance(raw, (bytes, type(u""))):
        return to_unicode(raw)
    index = int(raw)
    if not 0 <= index < len(param.extra):
        raise HostError("%s: choice %d is not between 0 and %d" % (param.name, index, len(param.extra) - 1))
    return param.extra[index][0]
