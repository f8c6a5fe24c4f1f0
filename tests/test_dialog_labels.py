"""Every field of every dialog has a mnemonic that no other field or button of that dialog uses.

GIMP 3.0 and 3.2 check this when they build a procedure dialog and print "no mnemonic for property
..." or "duplicate mnemonic ..." on the console otherwise (tests/gimp3 fails on those lines); this
finds it without GIMP. The text boxes' headings (ui/dialogs.py) carry the label's mnemonic too.
"""

from __future__ import annotations

import pytest

from plugin.hosts import common

BUTTONS = set("rcols")  # GimpProcedureDialog's _Reset, _Cancel, _OK, _Load Saved Settings, _Save Settings


def mnemonic(label: str) -> str | None:
    index = label.find("_")
    return label[index + 1].lower() if 0 <= index < len(label) - 1 else None


@pytest.mark.parametrize("spec", common.PROCEDURES, ids=lambda spec: spec.action)
def test_each_field_has_its_own_mnemonic(spec):
    letters = {param.name: mnemonic(param.label) for param in spec.params}
    assert not [name for name, letter in letters.items() if letter is None], letters
    taken = list(letters.values())
    assert len(set(taken)) == len(taken), letters
    assert not BUTTONS.intersection(taken), letters
