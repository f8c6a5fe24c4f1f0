"""Stub of pygimp's gimpcolor: only RGB, as gimpfu passes PF_COLOR arguments."""
# ruff: noqa: UP003, UP004, UP025, UP028, UP031  (Python 2.7 syntax: this file also runs under 2.7)


class RGB(object):
    """GimpRGB: r, g, b, a are floats 0..1; ints given to the constructor count as 0..255."""

    def __init__(self, r, g, b, a=None):
        values = [r, g, b, 255 if a is None and isinstance(r, int) else (1.0 if a is None else a)]
        if all(isinstance(v, int) for v in values):
            values = [v / 255.0 for v in values]
        self.r, self.g, self.b, self.a = [float(v) for v in values]

    def __getitem__(self, index):
        return (self.r, self.g, self.b, self.a)[index]

    def __len__(self):
        return 4

    def __repr__(self):
        return "RGB(%r, %r, %r, %r)" % (self.r, self.g, self.b, self.a)
