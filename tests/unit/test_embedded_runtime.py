"""The embedded runtime's plain parts, without LocalStack."""

import decimal
import json
import sys

import pytest

from embedded_localstack import bootstrap
from embedded_localstack.cli import load_env_file
from embedded_localstack.executor import code_signature
from embedded_localstack.interpreters import UnsupportedRuntime, interpreter_for_runtime


def test_error_body_has_aws_shape_and_starts_in_function_code():
    def handler():
        raise KeyError("basket")

    try:
        handler()
    except KeyError as e:
        body = bootstrap.error_body(e)

    assert body["errorType"] == "KeyError"
    assert body["errorMessage"] == "'basket'"
    assert body["stackTrace"] and all("bootstrap.py" not in frame for frame in body["stackTrace"])


def test_decimals_from_dynamodb_serialise_as_numbers():
    encoded = json.dumps({"price": decimal.Decimal("9.99"), "qty": decimal.Decimal("3")}, default=bootstrap._json_default)
    assert json.loads(encoded) == {"price": 9.99, "qty": 3}


def test_unserialisable_result_is_refused():
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps({"when": object()}, default=bootstrap._json_default)


def test_logs_of_one_invocation_are_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(bootstrap, "MAX_LOG_BYTES", 100)
    log = tmp_path / "output.log"
    log.write_text("x" * 1000 + "last line\n")

    logs = bootstrap.read_logs(str(log))

    assert logs.endswith("last line\n")
    assert "bytes of earlier output dropped" in logs
    assert len(logs) < 200


def test_non_python_runtime_is_refused_with_a_clear_error():
    with pytest.raises(UnsupportedRuntime, match="nodejs20.x.*Docker mode"):
        interpreter_for_runtime("nodejs20.x")


def test_python_runtime_resolves_to_an_interpreter_of_that_version():
    own = "python%d.%d" % sys.version_info[:2]
    python = interpreter_for_runtime(own)
    assert python


def test_code_signature_changes_on_edit_add_and_remove(tmp_path):
    (tmp_path / "app.py").write_text("v1")
    before = code_signature(str(tmp_path))
    (tmp_path / "app.py").write_text("v2!")
    edited = code_signature(str(tmp_path))
    (tmp_path / "extra.py").write_text("")
    added = code_signature(str(tmp_path))
    (tmp_path / "extra.py").unlink()

    assert len({before, edited, added}) == 3
    assert code_signature(str(tmp_path)) != added


def test_shared_settings_file_parses_to_fast_feedback_values():
    from embedded_localstack.cli import SHARED_SETTINGS

    settings = load_env_file(SHARED_SETTINGS)
    assert settings["LAMBDA_RETRY_BASE_DELAY"] == "1"
    assert settings["LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC"] == "1"
    assert settings["LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC"] == "1"


def test_code_signature_ignores_bytecode_caches_and_follows_symlinks(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "logic.py").write_text("v1")
    folder = tmp_path / "function"
    folder.mkdir()
    (folder / "pkg").symlink_to(source)
    before = code_signature(str(folder))

    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.pyc").write_text("cache")
    assert code_signature(str(folder)) == before

    (source / "logic.py").write_text("v2, longer")
    assert code_signature(str(folder)) != before
