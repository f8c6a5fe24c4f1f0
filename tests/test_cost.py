"""The GIMP 3 dialog's cost line (ui/cost.py): where pressing OK runs, and what Google bills for it,
in dollars from the model catalogue for the size tier the area needs; and the settings it reads
without network."""

from __future__ import annotations

import dataclasses

import pytest

from plugin import catalogue
from plugin.geometry import Rect
from plugin.hosts import procedures
from ui import cost as costs

CATALOGUE = catalogue.load()
SET_UP = costs.CloudSetup("auto", "my-proj", "", True, "", CATALOGUE)
NOT_SET_UP = costs.CloudSetup("auto", "", "", False, "", CATALOGUE)
NO_PROJECT = costs.CloudSetup("auto", "", "", True, "", CATALOGUE)  # ADC found, no project: auto stays offline
EMULATOR = costs.CloudSetup("auto", "demo", "http://user:pw@127.0.0.1:8080/v1", True, "", CATALOGUE)
SMALL = (300, 200)  # an area the 512 tier covers
LARGE = (1800, 1200)  # needs 2K


def values_for(action: str, **overrides) -> dict:
    proc = procedures.PROCEDURE_BY_ACTION[action]
    values = {param.name: param.default for param in proc.params}
    values.update({key.replace("_", "-"): value for key, value in overrides.items()})
    return values


def cost(action, setup, backend="auto", variations=1, area=SMALL, **values):
    return costs.run_cost(action, values_for(action, backend=backend, variations=variations, **values), setup, area)


@pytest.mark.parametrize(
    ("backend", "setup", "variations", "area", "line"),
    [
        ("local", SET_UP, 4, SMALL, "Runs offline on this computer: no charge."),
        ("local", None, 2, SMALL, "Runs offline on this computer: no charge."),
        (
            "gemini",
            SET_UP,
            1,
            SMALL,
            "About $0.04: 1 image at 512 on gemini-3.1-flash-image, billed to project my-proj.",
        ),
        (
            "gemini",
            SET_UP,
            3,
            LARGE,
            "About $0.30: 3 images at 2K on gemini-3.1-flash-image, billed to project my-proj.",
        ),
        (
            "gemini",
            NO_PROJECT,
            2,
            SMALL,
            "About $0.09: 2 images at 512 on gemini-3.1-flash-image, billed to the project your credentials name.",
        ),
        (
            "gemini",
            NOT_SET_UP,
            1,
            SMALL,
            "Vertex AI is not set up (no credentials found): the run would stop; run Filters > Imagen > Check Setup.",
        ),
        ("gemini", SET_UP, 2, None, "Gemini bills 2 images on gemini-3.1-flash-image, billed to project my-proj."),
        (
            "auto",
            SET_UP,
            1,
            LARGE,
            "Automatic: about $0.10: 1 image at 2K on gemini-3.1-flash-image, billed to project my-proj.",
        ),
        (
            "auto",
            NOT_SET_UP,
            4,
            SMALL,
            "Automatic: Vertex AI is not set up, so this runs offline on this computer: no charge.",
        ),
        (
            "auto",
            NO_PROJECT,
            4,
            SMALL,
            "Automatic: Vertex AI is not set up, so this runs offline on this computer: no charge.",
        ),
        ("auto", EMULATOR, 3, SMALL, "Automatic: goes to the emulator at 127.0.0.1:8080, not to Google: no charge."),
        (
            "imagen",
            SET_UP,
            1,
            SMALL,
            "Imagen (legacy) bills each image to project my-proj, but Google shut Imagen "
            "down in 2026: the run stops unless your project keeps an Imagen endpoint.",
        ),
    ],
)
def test_cost_line_for_each_backend_choice(backend, setup, variations, area, line):
    """Remove Object: what every backend choice says, with dollars from the catalogue where Google bills."""
    assert cost("remove", setup, backend, variations, area) == line


@pytest.mark.parametrize(
    ("tier", "area", "line"),
    [
        ("quality", LARGE, "About $0.54: 4 images at 2K on gemini-3-pro-image"),
        ("standard", LARGE, "About $0.40: 4 images at 2K on gemini-3.1-flash-image"),
        ("fast", LARGE, "About $0.13: 4 images at 1K on gemini-3.1-flash-lite-image"),
        ("quality", (3000, 2000), "About $0.96: 4 images at 4K on gemini-3-pro-image"),
    ],
)
def test_the_tier_and_the_area_decide_the_price(tier, area, line):
    assert cost("insert", SET_UP, "gemini", 4, area, tier=tier) == line + ", billed to project my-proj."


def test_the_size_limit_caps_the_price():
    assert cost("insert", SET_UP, "gemini", 1, (3000, 2000), max_size="1K").startswith(
        "About $0.07: 1 image at 1K on gemini-3.1-flash-image"
    )
    for nick, tier in (("size-2k", "2K"), ("size-4k", "4K")):  # what the GIMP dialog hands over
        assert cost("insert", SET_UP, "gemini", 1, (3000, 2000), max_size=nick).startswith(
            f"About ${CATALOGUE.get('gemini-3.1-flash-image').price[tier]:.2f}: 1 image at {tier}"
        )
    capped = dataclasses.replace(SET_UP, max_size="2K")  # [gemini] max_image_size in the settings
    assert cost("insert", capped, "gemini", 1, (3000, 2000)).startswith("About $0.10: 1 image at 2K")


def test_a_model_id_in_the_dialog_is_priced_as_that_model():
    assert cost("insert", SET_UP, "gemini", 2, LARGE, model="gemini-3-pro-image").startswith(
        "About $0.27: 2 images at 2K on gemini-3-pro-image"
    )


@pytest.mark.parametrize(
    ("action", "backend", "setup", "values", "line"),
    [
        (
            "describe",
            "gemini",
            SET_UP,
            {},
            "4 captions from gemini-3.5-flash for a fraction of a cent (text tokens), billed to project my-proj.",
        ),
        (
            "describe",
            "auto",
            NOT_SET_UP,
            {},
            "Automatic: Vertex AI is not set up, and the local engine cannot do this; "
            "run Filters > Imagen > Check Setup.",
        ),
        (
            "describe",
            "local",
            SET_UP,
            {},
            "The local engine cannot do this offline; choose Automatic or Gemini on Vertex AI.",
        ),
        (
            "generate",
            "gemini",
            SET_UP,
            {},
            "About $0.27: 4 images at 1K on gemini-3.1-flash-image, billed to project my-proj.",
        ),
        (
            "generate",
            "gemini",
            SET_UP,
            {"max_size": "4K", "tier": "quality"},
            "About $0.96: 4 images at 4K on gemini-3-pro-image, billed to project my-proj.",
        ),
        (
            "generate",
            "gemini",
            SET_UP,
            {"tier": "quality", "aspect_ratio": "landscape-21-9"},
            "About $0.54: 4 images at 1K on gemini-3-pro-image, billed to project my-proj.",
        ),
        (
            "generate",
            "local",
            SET_UP,
            {},
            "The local engine cannot do this offline; choose Automatic or Gemini on Vertex AI.",
        ),
        (
            "customize",
            "gemini",
            SET_UP,
            {},
            "About $0.27: 4 images at 1K on gemini-3.1-flash-image, billed to project my-proj.",
        ),
    ],
)
def test_cost_line_per_action(action, backend, setup, values, line):
    assert cost(action, setup, backend, 4, LARGE, **values) == line


def test_upscale_is_one_image_at_the_tier_of_the_target():
    assert cost("upscale", SET_UP, "gemini", 4, (800, 600), factor="x2") == (
        "About $0.10: 1 image at 2K on gemini-3.1-flash-image, billed to project my-proj."
    )
    assert cost("upscale", SET_UP, "gemini", 1, (1600, 1200), factor="x4") == (
        "X4 of this area is more than gemini-3.1-flash-image can answer with: the run would stop; choose the local "
        "engine for the offline upscale, billed to project my-proj."
    )
    assert cost("upscale", NOT_SET_UP, "auto", 1, SMALL) == (
        "Automatic: Vertex AI is not set up, so this runs offline on this computer: no charge."
    )


@pytest.mark.parametrize("backend", ["auto", "local", "gemini", "imagen"])
@pytest.mark.parametrize("mode", ["transparent", "color", "blur", "image"])
def test_background_not_from_a_prompt_is_free_on_every_backend(backend, mode):
    line = cost("background", SET_UP, backend, variations=3, mode=mode)
    assert line.lower().endswith("runs offline on this computer: no charge.") and "$" not in line, line


def test_background_from_a_prompt_is_billed():
    assert cost("background", SET_UP, "gemini", 2, LARGE, mode="prompt").startswith(
        "About $0.20: 2 images at 2K on gemini-3.1-flash-image"
    )
    assert cost("background", SET_UP, "local", 2, mode="prompt") == (
        "The local engine cannot do this offline; choose Automatic or Gemini on Vertex AI."
    )


def test_automatic_follows_the_backend_in_the_settings():
    assert cost("remove", dataclasses.replace(SET_UP, backend="local"), "auto", 2) == (
        "Automatic (local in the settings): runs offline on this computer: no charge."
    )
    assert cost("remove", dataclasses.replace(SET_UP, backend="Gemini"), "auto") == (
        "Automatic (Gemini in the settings): there is no backend called 'Gemini'; the run would stop."
    )


def test_unreadable_settings_stop_every_backend():
    broken = costs.CloudSetup("auto", "", "", False, "/home/me/.config/imagen-gimp/config.toml")
    for backend in ("auto", "local", "gemini", "imagen"):
        assert cost("remove", broken, backend) == (
            "The settings file /home/me/.config/imagen-gimp/config.toml cannot be read: the run would stop "
            "and say what to fix."
        )


def test_the_vertex_name_of_earlier_versions_means_imagen():
    assert cost("remove", SET_UP, "vertex") == cost("remove", SET_UP, "imagen")


def test_the_action_lists_match_the_backends():
    from plugin.actions import GEMINI_ACTIONS, LOCAL_ACTIONS
    from plugin.backends import gemini
    from plugin.backends.local import LocalBackend

    assert set(LOCAL_ACTIONS) == set(LocalBackend().capabilities().actions)
    assert set(GEMINI_ACTIONS) == set(gemini.ACTIONS)
    from plugin.actions import BY_NAME

    # every menu entry runs on today's models, but those that are offline by design and say why (Select Subject)
    offline_only = {p.action for p in procedures.PROCEDURES if BY_NAME[p.action].served == ("local",)}
    assert offline_only == {"subject"} and all(BY_NAME[a].gemini_missing for a in offline_only)
    assert {p.action for p in procedures.PROCEDURES} - offline_only <= set(GEMINI_ACTIONS)


@pytest.mark.parametrize(
    ("action", "selection", "values", "area"),
    [
        ("insert", Rect(100, 100, 50, 40), {}, (50 + 2 * 12 + 128, 40 + 2 * 12 + 128)),
        ("remove", None, {}, None),  # no selection: the host would refuse
        ("upscale", None, {}, (640, 480)),
        ("edit", Rect(0, 0, 200, 100), {}, (200, 100)),
        ("outpaint", None, {"expand_mode": "margins", "left": 100, "top": 10}, (740, 490)),
        ("generate", None, {}, None),
    ],
)
def test_the_area_is_what_the_host_would_read(action, selection, values, area):
    """ui.cost.area_of sizes the estimate by regions.plan_input, the same plan the host reads by."""
    got = costs.area_of(action, values_for(action, **values), (640, 480), Rect(0, 0, 640, 480), selection)
    assert got == area


# -- what the settings say, found without network ------------------------------------------------


@pytest.fixture
def settings_home(tmp_path, monkeypatch):
    """An empty home: no settings file, no gcloud folder; returns (environ, settings file path)."""
    path = tmp_path / "config.toml"
    monkeypatch.setenv("IMAGEN_GIMP_CONFIG", str(path))
    return {"HOME": str(tmp_path)}, path


def fields(setup):
    return (setup.backend, setup.project, setup.endpoint, setup.credentials, setup.unreadable)


def test_cloud_setup_reads_project_backend_and_endpoint(settings_home):
    environ, path = settings_home
    assert fields(costs.cloud_setup(environ)) == ("auto", "", "", False, "")
    path.write_text('project = "from-file"\nbackend = "gemini"\n[gemini]\nmax_image_size = "2K"\n')
    assert fields(costs.cloud_setup(environ)) == ("gemini", "from-file", "", False, "")
    assert costs.cloud_setup(environ).max_size == "2K"
    environ.update(
        {
            "GOOGLE_CLOUD_PROJECT": "from-env",
            "IMAGEN_GIMP_BACKEND": "vertex",
            "IMAGEN_GIMP_ENDPOINT": "http://127.0.0.1:8080",
        }
    )
    assert fields(costs.cloud_setup(environ)) == ("imagen", "from-env", "http://127.0.0.1:8080", True, "")


def test_cloud_setup_reads_the_catalogue_changes(settings_home):
    environ, path = settings_home
    path.write_text(
        '[models]\nstandard = "gemini-nano-banana-2.1"\n[catalogue."gemini-nano-banana-2.1"]\n'
        'like = "gemini-3.1-flash-image"\nprice = { "1K" = 0.05, "2K" = 0.08 }\n'
    )
    setup = dataclasses.replace(costs.cloud_setup(environ), project="p", credentials=True)
    assert costs.run_cost("insert", values_for("insert", backend="gemini"), setup, (1800, 1200)) == (
        "About $0.08: 1 image at 2K on gemini-nano-banana-2.1, billed to project p."
    )


def test_cloud_setup_finds_credentials_without_reading_them(settings_home, tmp_path):
    environ, path = settings_home
    adc = tmp_path / ".config" / "gcloud" / "application_default_credentials.json"
    adc.parent.mkdir(parents=True)
    adc.write_text('{"refresh_token": "SECRET", "quota_project_id": "from-adc"}')
    setup = costs.cloud_setup(environ)
    assert setup.credentials and setup.project == ""  # the file is found, not read: no project from it
    environ["GOOGLE_APPLICATION_CREDENTIALS"] = str(tmp_path / "missing.json")
    assert not costs.cloud_setup(environ).credentials
    path.write_text('credentials_file = "%s"\n' % (tmp_path / "key.json"))
    assert costs.cloud_setup(environ).credentials  # named: the worker's own check says if it is missing
    assert "SECRET" not in repr(costs.cloud_setup(environ))


def test_cloud_setup_names_a_broken_settings_file(settings_home):
    environ, path = settings_home
    path.write_text("project = \n")
    assert fields(costs.cloud_setup(environ)) == ("auto", "", "", False, str(path))
    path.write_text('projekt = "typo"\n')
    assert costs.cloud_setup(environ).unreadable == str(path)
    path.write_text('[catalogue."x"]\nsizes = ["8K"]\n')
    assert costs.cloud_setup(environ).unreadable == str(path)


@pytest.mark.parametrize(
    ("text", "adc", "cloud"),
    [
        ("", True, False),  # credentials but no project: auto stays local
        ('project = "p"\n', False, False),
        ('project = "p"\n', True, True),
        ('project = "p"\ncredentials_file = "/nowhere/key.json"\n', False, True),
        ('project = "p"\nendpoint = "http://127.0.0.1:1"\n', False, True),
    ],
)
def test_cloud_setup_agrees_with_what_auto_decides(settings_home, tmp_path, monkeypatch, text, adc, cloud):
    """The cheap check and plugin.backends.cloud_configured (google.auth) pick the same side."""
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    from plugin import backends, config

    environ, path = settings_home
    path.write_text(text)
    if adc:
        adc_path = tmp_path / ".config" / "gcloud" / "application_default_credentials.json"
        adc_path.parent.mkdir(parents=True)
        adc_path.write_text("{}")

    def default(*_args, **_kwargs):  # google.auth's first two places, without the metadata server
        if config.adc_file(environ) is None:
            raise DefaultCredentialsError("no ADC")
        return object(), ""

    monkeypatch.setattr(google.auth, "default", default)
    setup = costs.cloud_setup(environ)
    assert bool(setup.project and setup.credentials) == cloud
    assert backends.cloud_configured(config.load_settings(environ=environ)) == cloud
