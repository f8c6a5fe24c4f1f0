"""Stub of pygimp's gimpshelf: the per-session store gimpfu keeps last-used values in."""
# ruff: noqa: UP003, UP004, UP025, UP028, UP031  (Python 2.7 syntax: this file also runs under 2.7)


class _Shelf(object):
    def __init__(self):
        self._data = {}

    def has_key(self, key):
        return key in self._data

    def __getitem__(self, key):
        return self._data[key]

    def __setitem__(self, key, value):
        self._data[key] = value

    def clear(self):
        self._data.clear()


shelf = _Shelf()
