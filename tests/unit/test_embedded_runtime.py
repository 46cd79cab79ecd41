"""The embedded runtime's plain parts, without LocalStack."""

import decimal
import json
import logging
import sys
import uuid

import pytest

from embedded_localstack.executor import log_events
from embedded_localstack.executor.code_watch import code_signature
from embedded_localstack.executor.invocation_log import read_logs
from embedded_localstack.lifecycle.instance import load_env_file
from embedded_localstack.runtimes import interpreters
from embedded_localstack.runtimes.interpreters import UnsupportedRuntime, interpreter_for_runtime
from embedded_localstack.runtimes.python import context, errors, log_handler
from embedded_localstack.runtimes.python.handler import load_handler


def test_error_body_has_aws_shape_and_starts_in_function_code():
    def handler():
        raise KeyError("basket")

    try:
        handler()
    except KeyError as e:
        body = errors.error_body(e)

    assert body["errorType"] == "KeyError"
    assert body["errorMessage"] == "'basket'"
    assert body["stackTrace"] and all("runtimes/python" not in frame for frame in body["stackTrace"])


def test_decimals_from_dynamodb_serialise_as_numbers():
    encoded = json.dumps({"price": decimal.Decimal("9.99"), "qty": decimal.Decimal("3")}, default=context._json_default)
    assert json.loads(encoded) == {"price": 9.99, "qty": 3}


def test_unserialisable_result_is_refused():
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps({"when": object()}, default=context._json_default)


def test_the_host_reads_an_invocations_whole_output(tmp_path):
    log = tmp_path / "output.log"
    log.write_bytes(b"START\n" + b"x" * 2**20 + b"\nREPORT\n")

    logs = read_logs(str(log), 64 * 2**20)

    assert logs.startswith("START\n") and logs.endswith("\nREPORT\n")
    assert len(logs) == 2**20 + len("START\n\nREPORT\n")


def test_output_over_the_cap_keeps_start_and_end_and_says_what_was_dropped(tmp_path):
    # Given an invocation's output far over the cap (a function printing in a loop)
    start, end = (
        "START RequestId: r1 Version: $LATEST\n",
        "END RequestId: r1\nREPORT RequestId: r1\tDuration: 1.00 ms\n",
    )
    lines = [f"line {n:05d} " + "é" * 20 + "\n" for n in range(2000)]
    text = start + "".join(lines) + end
    log = tmp_path / "output.log"
    log.write_text(text, encoding="utf-8")
    size, limit = len(text.encode()), 4096

    # When the host reads it with a small cap
    logs = read_logs(str(log), limit=limit)

    # Then START, END and REPORT are there, only whole lines around one marker, within the cap
    assert logs.startswith(start) and logs.endswith(end)
    kept = logs.splitlines(keepends=True)
    markers = [line for line in kept if line.startswith("[embedded runtime]")]
    assert len(markers) == 1
    assert all(line in lines for line in kept if line not in (start, *end.splitlines(keepends=True), *markers))
    marker_at = kept.index(markers[0])
    head, tail = "".join(kept[:marker_at]).encode(), "".join(kept[marker_at + 1 :]).encode()
    assert len(head) + len(tail) <= limit
    dropped = size - len(head) - len(tail)
    assert markers[0].startswith(
        f"[embedded runtime] {dropped} bytes of output dropped here (bytes {len(head)} to {size - len(tail)} of {size})"
    )
    assert text.encode()[len(head) : size - len(tail)] not in logs.encode()


def test_output_at_the_cap_is_read_whole(tmp_path):
    log = tmp_path / "output.log"
    log.write_bytes(b"START\n" + b"x" * 100 + b"\nREPORT\n")

    assert read_logs(str(log), limit=log.stat().st_size) == log.read_text()
    assert "dropped" in read_logs(str(log), limit=log.stat().st_size - 1)


@pytest.mark.parametrize(
    ("execution_env", "escaped"),
    [
        ("AWS_Lambda_python3.11", True),
        ("AWS_Lambda_python3.12", False),
        ("AWS_Lambda_python3.13", False),
        ("AWS_Lambda_python3.14", False),
    ],
)
def test_responses_are_encoded_as_the_runtime_version_does(execution_env, escaped):
    # awslambdaric's marshaller: ensure_ascii=False from python3.12, so "é" is 2 UTF-8 bytes, not 6
    ensure_ascii = execution_env not in context.UNESCAPED_JSON_EXECUTION_ENVS

    body = context.to_json({"name": "café ☕"}, ensure_ascii)

    assert body == ('{"name": "caf\\u00e9 \\u2615"}' if escaped else '{"name": "café ☕"}').encode()


def test_a_multi_line_log_record_is_one_line_of_the_log(capsys):
    handler = log_handler.LambdaLogHandler()
    handler.setFormatter(logging.Formatter(log_handler.LOG_FORMAT, log_handler.LOG_DATE_FORMAT))
    handler.addFilter(log_handler._RequestIdFilter())
    record = logging.LogRecord("app", logging.WARNING, __file__, 1, "a\nb\n", None, None)

    handler.handle(record)

    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.endswith("a\rb\r\n") and out.startswith("[WARNING]\t")


def _events(batch: str) -> list[str]:
    # As LocalStack's log shipper makes them: one per non-empty line, newline kept.
    return [line + "\n" for line in batch.split("\n") if line]


def test_large_output_is_split_into_calls_within_cloudwatch_limits():
    lines = [f"line {n} " + "y" * 100 for n in range(25_000)] + ["z" * 700_000, "", "last"]

    batches = log_events.split_for_cloudwatch("\n".join(lines) + "\n")

    events = [event for batch in batches for event in _events(batch)]
    for batch in batches:
        batch_events = _events(batch)
        assert len(batch_events) <= 10_000
        assert sum(len(event.encode()) + 26 for event in batch_events) <= 1024 * 1024
    assert all(len(event.rstrip("\n").encode()) <= 256 * 1024 for event in events)
    assert [event.rstrip("\n") for event in events if not event.startswith("z")] == [*lines[:-3], "last"]
    assert "".join(event.rstrip("\n") for event in events if event.startswith("z")) == "z" * 700_000


def test_a_line_of_256_kib_is_one_event_as_on_aws_and_a_longer_one_is_not_lost():
    full, over = "é" * (128 * 1024), "x" * (256 * 1024 + 1)

    events = _events(log_events.split_for_cloudwatch(f"START\n{full}\n{over}\nEND\n")[0])

    assert events[1] == full + "\n"
    assert len(events) == 5
    assert "".join(event.rstrip("\n") for event in events[2:4]) == over


def test_small_output_stays_one_call():
    logs = "START RequestId: 1\nhello\n\nEND RequestId: 1\nREPORT RequestId: 1\n"

    assert log_events.split_for_cloudwatch(logs) == [
        "START RequestId: 1\nhello\nEND RequestId: 1\nREPORT RequestId: 1\n"
    ]


def test_long_lines_are_never_cut_inside_a_character():
    line = "é" * 1000 + "€" * 1000

    pieces = log_events.split_line(line, limit=301)

    assert "".join(pieces) == line
    assert all(len(piece.encode()) <= 301 for piece in pieces)


def test_error_log_line_is_one_line_as_the_aws_runtime_writes_it():
    def handler():
        raise ValueError("bad basket")

    try:
        handler()
    except ValueError as e:
        line = errors.error_log_line(errors.error_body(e))

    assert line.endswith("\n") and line.count("\n") == 1
    head, title, *frames = line.rstrip("\n").split("\r")
    assert head == "[ERROR] ValueError: bad basket"
    assert title == "Traceback (most recent call last):"
    assert frames[0].startswith("\u00a0\u00a0File ") and frames[-1].startswith("\u00a0" * 4 + "raise ValueError")


@pytest.fixture
def module_dir(tmp_path, monkeypatch):
    """Writes a uniquely named handler module; returns its name."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(source: str) -> str:
        name = f"handler_{uuid.uuid4().hex[:8]}"
        (tmp_path / f"{name}.py").write_text(source)
        return name

    return write


def test_exception_raised_by_the_handler_module_propagates_as_it_is(module_dir):
    name = module_dir("raise LookupError('no table configured')\n")

    with pytest.raises(LookupError, match="no table configured"):
        load_handler(f"{name}.handler")


@pytest.mark.parametrize(
    ("source", "handler", "error_type", "message"),
    [
        (
            "import not_installed_anywhere\n",
            "{m}.handler",
            "Runtime.ImportModuleError",
            "Unable to import module '{m}': No module named 'not_installed_anywhere'",
        ),
        ("def handler(:\n", "{m}.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module '{m}': "),
        ("x = 1\n", "{m}.handler", "Runtime.HandlerNotFound", "Handler 'handler' missing on module '{m}'"),
        ("x = 1\n", "handler", "Runtime.MalformedHandlerName", "Bad handler 'handler': "),
        (
            "x = 1\n",
            "sys.handler",
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module sys as a handler module",
        ),
    ],
)
def test_runtime_faults_have_the_aws_runtime_types(module_dir, source, handler, error_type, message):
    name = module_dir(source)

    with pytest.raises(errors.RuntimeFault) as fault:
        load_handler(handler.format(m=name))

    assert fault.value.error_type == error_type
    assert str(fault.value).startswith(message.format(m=name))
    assert errors.error_body(fault.value)["errorType"] == error_type


def test_missing_python_version_fails_with_how_to_install_it(monkeypatch):
    monkeypatch.delenv(interpreters.FALLBACK_VARIABLE, raising=False)

    with pytest.raises(UnsupportedRuntime, match=r"pyenv install 3\.99.*EMBEDDED_LAMBDA_PYTHON_FALLBACK=1"):
        interpreter_for_runtime("python3.99")


def test_fallback_to_another_python_is_opt_in_and_warns(monkeypatch, caplog):
    monkeypatch.setenv(interpreters.FALLBACK_VARIABLE, "1")
    monkeypatch.setattr(interpreters, "_found", {})

    python = interpreter_for_runtime("python3.99")

    assert python == getattr(sys, "_base_executable", sys.executable)
    assert "No Python 3.99 found" in caplog.text


def test_a_runtime_of_another_language_is_refused_with_a_clear_error():
    with pytest.raises(UnsupportedRuntime, match=r"java21.*python3\.x and nodejs.*Docker mode"):
        interpreter_for_runtime("java21")


def test_python_runtime_resolves_to_an_interpreter_of_that_version():
    own = "python{}.{}".format(*sys.version_info[:2])
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
    from embedded_localstack.lifecycle.instance import SHARED_SETTINGS

    settings = load_env_file(SHARED_SETTINGS)
    assert settings["LAMBDA_RETRY_BASE_DELAY"] == "1"
    assert settings["LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC"] == "0"
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
