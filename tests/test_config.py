"""The [imagen] settings table, credentials discovery and the setup check that names what is
missing; and how the backend turns a missing setup into a message instead of a trace."""

from __future__ import annotations

import json

import pytest

from plugin.config import (
    ConfigError,
    Settings,
    adc_file,
    is_local_endpoint,
    load_settings,
    project_in_credentials,
    setup_problems,
)


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_imagen_table_is_read_and_checked(tmp_path):
    path = write(
        tmp_path,
        '[imagen]\nsafety_setting = "BLOCK_ONLY_HIGH"\nadd_watermark = false\nguidance_scale = 12\nimage_size = "2K"\n',
    )
    settings = load_settings(path, environ={})
    assert settings.imagen.safety_setting == "block_only_high"
    assert settings.imagen.add_watermark is False and settings.imagen.guidance_scale == 12.0
    assert settings.imagen.image_size == "2K"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[imagen]\nsafety = "x"\n', "imagen.safety is unknown"),
        ('[imagen]\nperson_generation = "everyone"\n', "choose one of dont_allow"),
        ('[imagen]\nadd_watermark = "no"\n', "imagen.add_watermark must be bool"),
        ("[imagen]\ncompression_quality = 300\n", "out of range 0 to 100"),
        ("[imagen]\nmax_retries = true\n", "imagen.max_retries must be int"),
        ("imagen = 3\n", "[imagen] must be a table"),
    ],
)
def test_imagen_table_errors_name_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace("[", "\\[")):
        load_settings(write(tmp_path, text), environ={})


def test_setup_check_names_everything_missing(tmp_path):
    problems = setup_problems(Settings(location=""), environ={"HOME": str(tmp_path)})
    assert [p.split(":")[0] for p in problems] == ["credentials", "project", "location"]
    assert "gcloud auth application-default login" in problems[0]
    assert "GOOGLE_CLOUD_PROJECT" in problems[1] and "GOOGLE_CLOUD_LOCATION" in problems[2]


def test_setup_check_reads_project_from_adc_file(tmp_path):
    gcloud = tmp_path / ".config" / "gcloud"
    gcloud.mkdir(parents=True)
    (gcloud / "application_default_credentials.json").write_text(
        json.dumps({"type": "authorized_user", "quota_project_id": "my-project"})
    )
    environ = {"HOME": str(tmp_path)}
    assert adc_file(environ) == gcloud / "application_default_credentials.json"
    assert project_in_credentials(adc_file(environ)) == "my-project"
    assert setup_problems(Settings(), environ=environ) == []


def test_setup_check_missing_key_file(tmp_path):
    settings = Settings(project="p", credentials_file=str(tmp_path / "key.json"))
    problems = setup_problems(settings, environ={"HOME": str(tmp_path)})
    assert len(problems) == 1 and "key.json" in problems[0] and "does not exist" in problems[0]


def test_emulator_endpoint_needs_no_credentials_or_project(tmp_path):
    settings = Settings(endpoint="http://127.0.0.1:8080")
    assert is_local_endpoint(settings.endpoint)
    assert setup_problems(settings, environ={"HOME": str(tmp_path)}) == []


def test_backend_without_setup_explains_and_points_to_check_setup(tmp_path, monkeypatch):
    """The first cloud action without credentials: the message names what is missing and Check Setup."""
    from plugin import ops
    from plugin.backends.base import BackendError, EditRequest
    from plugin.backends.gemini import GeminiBackend

    for name in ("GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_CONFIG", "GOOGLE_CLOUD_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # google.auth: do not probe the metadata server
    backend = GeminiBackend(Settings(project="p"))
    with pytest.raises(
        BackendError,
        match="not set up: credentials: no Application Default Credentials found; "
        "run `gcloud auth application-default login`.*Check Setup",
    ):
        backend.run(EditRequest(op=ops.Generate(prompt="x"), image=None))


def test_backend_with_a_broken_key_file_but_no_project(tmp_path, monkeypatch):
    from plugin import ops
    from plugin.backends.base import BackendError, EditRequest
    from plugin.backends.gemini import GeminiBackend

    key = tmp_path / "key.json"
    key.write_text("{not json")
    monkeypatch.setenv("HOME", str(tmp_path))
    backend = GeminiBackend(Settings(credentials_file=str(key)))
    with pytest.raises(BackendError, match="not set up") as caught:
        backend.run(EditRequest(op=ops.Generate(prompt="x"), image=None))
    assert "(" not in str(caught.value).split("not set up:")[1][:3]  # a sentence, not a Python tuple


def test_transport_reads_a_service_account_key_and_its_project(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from plugin.backends.transport import VertexTransport

    private = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    key = tmp_path / "key.json"
    key.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "key-project",
                "private_key_id": "1",
                "private_key": private,
                "client_email": "sa@key-project.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    transport = VertexTransport(Settings(credentials_file=str(key)))
    credentials, project = transport.credentials()
    assert project == "key-project"
    assert credentials.service_account_email == "sa@key-project.iam.gserviceaccount.com"


def test_hosts_and_locations():
    """global has no region prefix; Imagen (legacy) is regional, so global means us-central1 there."""
    from plugin.backends.transport import VertexTransport
    from plugin.legacy.imagen.backend import ImagenBackend

    transport = VertexTransport(Settings())
    assert transport.host("global") == "aiplatform.googleapis.com"
    assert transport.host("europe-west4") == "europe-west4-aiplatform.googleapis.com"
    assert VertexTransport(Settings(endpoint="http://127.0.0.1:9")).host("global") == "http://127.0.0.1:9"
    assert ImagenBackend(Settings(location="global")).location == "us-central1"
    assert ImagenBackend(Settings(location="europe-west4")).location == "europe-west4"


def test_a_model_served_only_at_global_is_called_there_and_said_so():
    from plugin.backends.base import BackendError
    from plugin.backends.transport import VertexTransport

    settings = Settings(location="us-central1")
    assert VertexTransport(settings).location_for(("global", "us-central1"), "m") == ("us-central1", "")
    location, note = VertexTransport(settings).location_for(("global",), "gemini-3.1-flash-image")
    assert location == "global" and "served only at the global endpoint, not in us-central1" in note
    settings.gemini.location_fallback = False
    with pytest.raises(BackendError, match='not served in us-central1 \\(only global\\). Set location = "global"'):
        VertexTransport(settings).location_for(("global",), "gemini-3.1-flash-image")
