"""The action table (actions.py) is the one list of actions; the host interface every host implements."""

from __future__ import annotations

import ast
from pathlib import Path

from host_support import FakeHost, FakeImage

from plugin import actions, ops
from plugin.hosts import procedures

REPO = Path(__file__).resolve().parents[1]


# -- the action table -------------------------------------------------------------------------------


def test_the_action_table_is_the_one_list_of_actions():
    """Menu entries, operations, titles and what each backend serves all come from plugin/actions.py."""
    from plugin.backends import gemini, local
    from plugin.legacy.imagen import backend as imagen

    assert set(actions.BY_NAME) == set(ops.OPERATIONS)
    assert [proc.action for proc in procedures.PROCEDURES] == [a.name for a in actions.ACTIONS if a.label]
    for entry in actions.ACTIONS:
        assert ops.OPERATIONS[entry.name].title == entry.title
        assert bool(entry.offline_missing) == ("local" not in entry.served), entry.name
        assert bool(entry.gemini_missing) == ("gemini" not in entry.served), entry.name
    assert local.LocalBackend().capabilities().actions == actions.served_by("local")
    assert gemini.ACTIONS == actions.served_by("gemini") and imagen.ACTIONS == actions.served_by("imagen")
    titles = [proc.title for proc in procedures.PROCEDURES]
    assert len(set(titles)) == len(titles) and "Inpaint" in titles  # one name per action, everywhere


def test_every_host_implements_the_named_interface():
    """Gimp3Host, Gimp2Host and the tests' fake implement every method of hosts/interface.py's Host."""
    from plugin.hosts.interface import Host

    wanted = {name for name, value in vars(Host).items() if callable(value) and not name.startswith("_")}
    assert {"read_pixels", "read_selection", "selection_bounds", "progress"} <= wanted
    assert issubclass(FakeHost, Host) and wanted <= {n for n in vars(FakeHost) if callable(getattr(FakeHost, n))}
    for path, name in (("plugin/hosts/gimp3.py", "Gimp3Host"), ("plugin/hosts/gimp2.py", "Gimp2Host")):
        methods = _methods_of(path, name, "Host")
        assert wanted <= methods, (name, wanted - methods)


def test_every_writer_implements_the_named_write_half():
    """Gimp3Writer, Gimp2Writer and the tests' FakeImage implement every primitive of hosts/interface.py's
    Writer, each in its own class (no half inherited), so one executor pastes through all three."""
    from plugin.hosts.interface import Writer

    wanted = {name for name, value in vars(Writer).items() if callable(value) and not name.startswith("_")}
    assert {"insert_layer", "add_mask", "replace_selection", "new_image", "remove_layer"} <= wanted
    assert issubclass(FakeImage, Writer) and wanted <= {n for n in vars(FakeImage) if callable(vars(FakeImage)[n])}
    for path, name in (("plugin/hosts/gimp3_paste.py", "Gimp3Writer"), ("plugin/hosts/gimp2_paste.py", "Gimp2Writer")):
        methods = _methods_of(path, name, "Writer")
        assert wanted <= methods, (name, wanted - methods)


def _methods_of(path: str, name: str, base: str) -> set[str]:
    """The methods class `name` of a GIMP-only module defines, read without importing GIMP; it must
    derive from `base` alone."""
    tree = ast.parse((REPO / path).read_text())
    cls = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == name)
    assert [node.id for node in cls.bases] == [base], name
    return {node.name for node in cls.body if isinstance(node, ast.FunctionDef)}
