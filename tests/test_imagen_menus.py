"""The Imagen (legacy) backend is in the Backend menus only when the settings enable it ([imagen] enabled =
true): the command line's --backend, GIMP 2.10's option list (the others keep their numbers) and GIMP 3's
dialog (tests/gimp3, the dialog scenario). The menus' reader and the settings loader agree on every file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from plugin import cli, config, params, settings_file

REPO = Path(__file__).resolve().parents[1]
FILES = {
    "": False,
    "[imagen]\nenabled = true\n": True,
    "[imagen]\nenabled = false\n": False,
    '[imagen]  # legacy\n  enabled=true  # the project keeps an endpoint\nsafety_setting = "block_none"\n': True,
    "[gemini]\nmax_parallel = 2\n[imagen]\n# enabled = true\n": False,
    '[conversations]\nfolder = "/tmp/x"\n\n[imagen]\nadd_watermark = false\nenabled = true\n': True,
    "[imagen.extra]\nenabled = true\n": False,
}


@pytest.fixture
def settings(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    monkeypatch.setenv("IMAGEN_GIMP_CONFIG", str(path))
    return path


@pytest.mark.parametrize("text", sorted(FILES))
def test_the_menus_reader_agrees_with_the_settings(settings, text):
    settings.write_text(text)
    assert settings_file.imagen_enabled() is FILES[text]
    assert settings_file.enabled_in_lines(text) is FILES[text]  # GIMP 2.10's reading (no tomllib in 2.7)
    if "[imagen.extra]" not in text:  # (a table the settings do not know: the loader refuses it)
        assert config.load_settings().imagen.enabled is FILES[text]


def test_no_file_or_a_broken_one_leaves_imagen_out(settings):
    assert not settings_file.imagen_enabled()  # no file
    settings.write_text("[imagen\nenabled = true\n")
    assert not settings_file.imagen_enabled()  # the menus open; the worker names the broken line
    with pytest.raises(config.ConfigError):
        config.load_settings()


def test_the_settings_path_is_the_loaders(tmp_path):
    for environ in (
        {"IMAGEN_GIMP_CONFIG": str(tmp_path / "x.toml")},
        {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path)},
        {"HOME": str(tmp_path)},
    ):
        assert Path(settings_file.config_path(environ)) == config.config_path(environ)
    assert config.config_path({"HOME": str(tmp_path)}) == tmp_path / ".config" / "imagen-gimp" / "config.toml"


def backend_option(action: str):
    commands = next(a for a in cli.build_parser()._actions if a.dest == "command").choices
    return next(a for a in commands[action]._actions if a.dest == "backend")


def test_the_command_line_lists_imagen_only_when_enabled(settings):
    settings.write_text("[imagen]\nenabled = true\n")
    option = backend_option("remove")
    assert option.choices == ("auto", "local", "gemini", "imagen", "vertex") and "imagen: Imagen" in option.help
    settings.write_text("")
    option = backend_option("remove")
    assert option.choices == ("auto", "local", "gemini") and "imagen" not in option.help.lower()
    done = subprocess.run(
        [sys.executable, "-m", "plugin", "remove", "x.png", "--backend", "imagen"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"IMAGEN_GIMP_CONFIG": str(settings), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert done.returncode == 2 and "invalid choice: 'imagen'" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_gimp2_lists_imagen_only_when_enabled_and_the_others_keep_their_numbers(settings):
    sys.path.insert(0, str(REPO / "tests" / "gimpfu_stub"))
    try:
        from plugin.hosts import gimp2_arguments
    finally:
        sys.path.remove(str(REPO / "tests" / "gimpfu_stub"))
    labels = tuple(label for _nick, _value, label in params.BACKEND.extra)
    settings.write_text("[imagen]\nenabled = true\n")
    assert gimp2_arguments.pf_param(params.BACKEND)[4] == labels
    settings.write_text("")
    assert gimp2_arguments.pf_param(params.BACKEND)[4] == labels[:3]
    for index, nick in enumerate(("auto", "local", "gemini")):  # a script's numbers mean what they meant
        assert gimp2_arguments.plain_value(params.BACKEND, index) == nick
    assert gimp2_arguments.pf_param(params.TIER)[4] == tuple(label for _n, _v, label in params.TIER.extra)
