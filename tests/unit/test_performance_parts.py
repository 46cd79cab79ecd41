"""The pieces that make an invocation and a checkout cheaper, without LocalStack."""

import os
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import pytest

from embedded_localstack import eventually
from embedded_localstack.executor import code_watch, log_events
from embedded_localstack.executor.memory import tree_rss_mb
from embedded_localstack.patches import (
    apigateway_to_lambda,
    catalog_cache,
    events_to_lambda,
    events_to_sqs,
    lambda_metrics,
    moto_dispatch,
    rules_after_answer,
    sqs_wake,
)
from embedded_localstack.patches.localstack_pin import PINNED_LOCALSTACK
from infra import long_poll


def make_function_folder(tmp_path):
    """A hot-reload folder as infra/archives.py makes it: symlinks into a source tree."""
    source = tmp_path / "src"
    (source / "pkg").mkdir(parents=True)
    (source / "app.py").write_text("v1")
    (source / "pkg" / "logic.py").write_text("v1")
    folder = tmp_path / "function"
    folder.mkdir()
    (folder / "app.py").symlink_to(source / "app.py")
    (folder / "pkg").symlink_to(source / "pkg")
    return source, folder


@pytest.mark.parametrize("edit", ["modify linked file", "modify file in linked folder", "add", "remove", "rename"])
def test_code_watch_sees_an_edit_at_once(tmp_path, edit):
    source, folder = make_function_folder(tmp_path)
    watch = code_watch.CodeWatch(str(folder))
    assert watch.inotify is not None, "inotify should be available on Linux"
    assert not watch.changed()
    if edit == "modify linked file":
        (source / "app.py").write_text("v2")
    elif edit == "modify file in linked folder":
        (source / "pkg" / "logic.py").write_text("v2")
    elif edit == "add":
        (source / "pkg" / "new.py").write_text("")
    elif edit == "remove":
        (source / "pkg" / "logic.py").unlink()
    else:
        (source / "pkg" / "logic.py").rename(source / "pkg" / "renamed.py")
    assert watch.changed()  # no wait: the kernel queued the event during the write
    assert watch.changed()  # and it stays changed


def test_code_watch_ignores_bytecode_caches_and_reading(tmp_path):
    source, folder = make_function_folder(tmp_path)
    watch = code_watch.CodeWatch(str(folder))
    (source / "pkg" / "__pycache__").mkdir()
    (source / "pkg" / "__pycache__" / "logic.cpython-312.pyc").write_bytes(b"cache")
    (folder / "app.py").read_text()
    assert not watch.changed()


def test_code_watch_is_per_folder_and_per_process_start(tmp_path):
    source_a, folder_a = make_function_folder(tmp_path / "a")
    _, folder_b = make_function_folder(tmp_path / "b")
    first, other = code_watch.CodeWatch(str(folder_a)), code_watch.CodeWatch(str(folder_b))
    (source_a / "app.py").write_text("v2")
    assert first.changed() and not other.changed()
    respawned = code_watch.CodeWatch(str(folder_a))  # the replacement process starts from the edited code
    assert not respawned.changed()


def test_code_watch_fallback_recomputes_at_most_once_a_second(tmp_path, monkeypatch):
    source, folder = make_function_folder(tmp_path)
    monkeypatch.setattr(code_watch, "_shared_inotify", lambda: None)
    now = [100.0]
    monkeypatch.setattr(code_watch, "time", SimpleNamespace(monotonic=lambda: now[0]))
    watch = code_watch.CodeWatch(str(folder))
    assert watch.inotify is None
    calls = []
    real = code_watch.code_signature
    monkeypatch.setattr(code_watch, "code_signature", lambda f: calls.append(f) or real(f))
    (source / "app.py").write_text("v2, longer")
    age = code_watch.SIGNATURE_MAX_AGE_SECONDS

    now[0] += age / 2
    assert not watch.changed() and calls == [], "too soon after the last look: not even looked at"
    now[0] += age / 2
    assert watch.changed() and len(calls) == 1
    now[0] += age / 2
    assert [watch.changed() for _ in range(3)] == [False] * 3 and len(calls) == 1
    now[0] += age / 2
    watch.changed()
    assert len(calls) == 2


def test_tree_memory_counts_children_and_grandchildren():
    grow = "x = bytearray(64 * 2**20); import time; time.sleep(30)"
    parent = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {grow!r}]).wait()"]
    )
    try:
        eventually(lambda: tree_rss_mb(parent.pid) >= 64, timeout=20, interval=0.05, what="64 MiB in the grandchild")
    finally:
        for child in Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text().split():
            os.kill(int(child), 9)
        parent.kill()
        parent.wait()
    assert tree_rss_mb(parent.pid) == 0


def test_lambda_metrics_patch_is_pinned_to_the_installed_localstack():
    # Fails on a LocalStack upgrade on purpose: read version_manager.py of the new release, check that
    # the two names are still what sends AWS/Lambda metrics, then move the pin.
    assert version("localstack-core") == PINNED_LOCALSTACK
    from localstack.services.lambda_.invocation import metrics, version_manager

    for name in lambda_metrics.PATCHED_NAMES:
        assert (
            getattr(version_manager, name) is getattr(metrics, name)
            or getattr(version_manager, name) is lambda_metrics._nothing
        )


def test_lambda_metrics_switched_off_unless_asked(monkeypatch):
    from localstack.services.lambda_.invocation import metrics, version_manager

    for name in lambda_metrics.PATCHED_NAMES:
        monkeypatch.setattr(version_manager, name, getattr(metrics, name))
    monkeypatch.setenv(lambda_metrics.SETTING, "1")
    assert not lambda_metrics.switch_off()
    assert version_manager.record_cw_metric_invocation is metrics.record_cw_metric_invocation
    monkeypatch.setenv(lambda_metrics.SETTING, "0")
    assert lambda_metrics.switch_off()
    assert version_manager.record_cw_metric_invocation is lambda_metrics._nothing
    assert version_manager.record_cw_metric_error is lambda_metrics._nothing


def test_log_shipping_patch_is_pinned_to_the_installed_localstack():
    # Fails on a LocalStack upgrade on purpose: read LogHandler.run_log_loop of the new release (what it
    # sends, how it creates groups and streams) and the logs provider's put_log_events, then move the pin.
    assert version("localstack-core") == log_events.PINNED_LOCALSTACK
    import inspect

    from localstack.services.lambda_.invocation import logs

    assert log_events.ship_straight_to_the_store()
    assert logs.LogHandler.run_log_loop.__module__ == log_events.__name__
    # What the replacement mirrors: one event per non-empty line, group and stream made on
    # ResourceNotFound, the shutdown pill, the role's account through with_assumed_role.
    replaced = inspect.getsource(logs.LogHandler.run_log_loop.original)
    for part in ("log_item.logs.split", "create_log_group", "create_log_stream", "QUEUE_SHUTDOWN", "with_assumed_role"):
        assert part in replaced, part


def test_log_lines_go_to_the_store_with_group_and_stream_made_once():
    from moto.logs.models import LogsBackend

    backend, through_api, now = LogsBackend("us-east-1", "000000000000"), [], int(time.time() * 1000)
    first = [{"timestamp": now, "message": "START\n"}, {"timestamp": now, "message": "x\n"}]
    second = [{"timestamp": now + 1, "message": "REPORT\n"}]

    def keep(*call):
        through_api.append(call)

    log_events.deliver(backend, "/aws/lambda/f", "2026/12/02/[$LATEST]a", first, keep)
    log_events.deliver(backend, "/aws/lambda/f", "2026/12/02/[$LATEST]a", second, keep)
    log_events.deliver(backend, "/aws/lambda/f", "2026/12/02/[$LATEST]b", second, keep)
    stream = backend.groups["/aws/lambda/f"].streams["2026/12/02/[$LATEST]a"]
    assert [event.message for event in stream.events] == ["START\n", "x\n", "REPORT\n"]
    assert sorted(backend.groups["/aws/lambda/f"].streams) == ["2026/12/02/[$LATEST]a", "2026/12/02/[$LATEST]b"]
    assert through_api == []


def test_a_group_with_a_metric_filter_goes_through_the_api_and_only_that_group():
    from moto.logs.models import LogsBackend

    backend, through_api = LogsBackend("us-east-1", "000000000000"), []
    backend.create_log_group("/aws/lambda/counted", tags={})
    backend.put_metric_filter("f", "ERROR", "/aws/lambda/counted", [{"metricName": "E", "metricNamespace": "N"}])
    lines = [{"timestamp": int(time.time() * 1000), "message": "ERROR boom\n"}]
    log_events.deliver(backend, "/aws/lambda/counted", "s", lines, lambda *call: through_api.append(call))
    log_events.deliver(backend, "/aws/lambda/other", "s", lines, lambda *call: through_api.append(call))
    assert through_api == [("/aws/lambda/counted", "s", lines)]
    assert [event.message for event in backend.groups["/aws/lambda/other"].streams["s"].events] == ["ERROR boom\n"]
    assert backend.groups["/aws/lambda/counted"].streams["s"].events == []  # the API call stores them


def test_long_poll_window_only_for_localstack():
    assert long_poll.batching_window(0, "http://127.0.0.1:4566") == 20
    assert long_poll.batching_window(0, "http://localhost.localstack.cloud:4566") == 20
    assert long_poll.batching_window(0, None) == 0  # AWS's own endpoints (ALLOW_REAL_AWS=1)
    assert long_poll.batching_window(0, "https://sqs.eu-west-1.amazonaws.com") == 0
    assert long_poll.batching_window(5, "http://127.0.0.1:4566") == 5  # a window someone chose stays


def test_catalog_index_kept_once_and_seeded_into_fresh_instances(tmp_path):
    kept = tmp_path / "kept"
    built = tmp_path / "first" / "var" / "lib" / "localstack" / "cache" / "service-catalog-4_14_0-1_42_54.dill"
    built.parent.mkdir(parents=True)
    built.write_bytes(b"index")
    catalog_cache.keep(tmp_path / "first", kept)
    assert (kept / built.name).read_bytes() == b"index"
    assert not list(kept.glob(".partial-*"))

    catalog_cache.seed(tmp_path / "second", kept)
    seeded = tmp_path / "second" / "usr" / "lib" / "localstack" / built.name
    assert seeded.read_bytes() == b"index"
    catalog_cache.seed(tmp_path / "second", kept)  # again: already there
    assert seeded.read_bytes() == b"index"


def test_certificate_kept_once_copied_into_fresh_instances_and_renewed_when_a_year_old(tmp_path):
    kept = tmp_path / "kept"
    built = tmp_path / "first" / "var" / "lib" / "localstack" / "cache" / catalog_cache.CERTIFICATE
    built.parent.mkdir(parents=True)
    built.write_bytes(b"key and certificate")
    catalog_cache.keep(tmp_path / "first", kept)
    assert (kept / catalog_cache.CERTIFICATE).read_bytes() == b"key and certificate"

    catalog_cache.seed(tmp_path / "second", kept)
    seeded = tmp_path / "second" / "var" / "lib" / "localstack" / "cache" / catalog_cache.CERTIFICATE
    assert seeded.read_bytes() == b"key and certificate"
    assert seeded.stat().st_mode & 0o077 == 0  # the private key: for its owner only

    # A year on: not seeded (LocalStack makes a new one), and the new one is kept
    year_ago = time.time() - catalog_cache.CERTIFICATE_KEPT_SECONDS - 60
    os.utime(kept / catalog_cache.CERTIFICATE, (year_ago, year_ago))
    catalog_cache.seed(tmp_path / "third", kept)
    third = tmp_path / "third" / "var" / "lib" / "localstack" / "cache" / catalog_cache.CERTIFICATE
    assert not third.exists()
    third.parent.mkdir(parents=True)
    third.write_bytes(b"new key and certificate")
    catalog_cache.keep(tmp_path / "third", kept)
    assert (kept / catalog_cache.CERTIFICATE).read_bytes() == b"new key and certificate"


def test_catalog_cache_paths_are_localstacks(tmp_path, monkeypatch):
    monkeypatch.setenv("FILESYSTEM_ROOT", str(tmp_path))
    from localstack.config import Directories

    directories = Directories.for_host()
    assert directories.static_libs == str(catalog_cache._static_libs(tmp_path))
    assert directories.cache == str(catalog_cache._cache(tmp_path))
    from localstack.utils import ssl

    assert ssl._SERVER_CERT_PEM_FILE == catalog_cache.CERTIFICATE


def test_report_pipe_settles_what_the_gateway_callbacks_would(tmp_path):
    from concurrent.futures import Future

    from localstack.services.lambda_.invocation.executor_endpoint import ExecutorEndpoint, StatusErrorException

    from embedded_localstack.executor import report_pipe

    endpoint = ExecutorEndpoint("env-1", container_address="127.0.0.1")
    endpoint.startup_future, endpoint.invocation_future = Future(), Future()
    write_fd, reader = report_pipe.open_for(endpoint, "env-1")
    big = b"x" * (3 * 2**20)  # larger than a pipe's buffer: written in pieces
    os.write(write_fd, b"/status/env-1/ready 2\n{}")
    assert endpoint.startup_future.result(timeout=5) is True
    with os.fdopen(write_fd, "wb") as pipe:
        pipe.write(b"/invocations/req-1/response %d\n" % len(big) + big)
        pipe.flush()
        result = endpoint.invocation_future.result(timeout=5)
        assert (result.request_id, result.payload, result.is_error) == ("req-1", big, False)
        endpoint.invocation_future = Future()
        error = b'{"errorType": "X"}'
        pipe.write(b"/invocations/req-2/error %d\n" % len(error) + error)
        pipe.flush()
        result = endpoint.invocation_future.result(timeout=5)
        assert (result.request_id, result.payload, result.is_error) == ("req-2", b'{"errorType": "X"}', True)
    reader.join(timeout=5)
    assert not reader.is_alive(), "the reader ends when the process's end of the pipe closes"

    assert not report_pipe.exiting(endpoint, "env-1")
    endpoint.invocation_future = Future()
    write_fd, reader = report_pipe.open_for(endpoint, "env-1-2")
    os.write(write_fd, b"/exiting 0\n/invocations/req-3/error 2\n{}")  # sys.exit in a handler
    assert endpoint.invocation_future.result(timeout=5).is_error
    assert report_pipe.exiting(endpoint, "env-1-2"), "announced before the report that ends the invocation"
    assert not report_pipe.exiting(endpoint, "env-1-3"), "a replacement process is not taken for the one ending"
    os.close(write_fd)
    reader.join(timeout=5)

    endpoint.startup_future = Future()
    write_fd, reader = report_pipe.open_for(endpoint, "env-2")
    os.write(write_fd, b'/status/env-1/error 5\n"bad"')
    with pytest.raises(StatusErrorException):
        endpoint.startup_future.result(timeout=5)
    os.write(write_fd, b"no frame at all\n")  # hostile or broken: the reader stops, nothing is settled wrongly
    reader.join(timeout=5)
    assert not reader.is_alive()
    os.close(write_fd)


def sqs_poller(window: int | None, monkeypatch):
    import boto3
    from localstack.services.lambda_.event_source_mapping.pollers import sqs_poller
    from localstack.services.lambda_.event_source_mapping.pollers.sqs_poller import SqsPoller

    # The queue's URL would be asked of a running LocalStack; the poller's settings are all that is read here.
    monkeypatch.setattr(sqs_poller, "get_queue_url", lambda arn: "http://127.0.0.1:9/000000000000/q")

    parameters = {"BatchSize": 10} | ({} if window is None else {"MaximumBatchingWindowInSeconds": window})
    # What processes the batches does not matter here: only the poller's own settings are read.
    return SqsPoller(
        "arn:aws:sqs:us-east-1:000000000000:q",
        {"SqsQueueParameters": parameters},
        processor=object(),
        source_client=boto3.client(
            "sqs",
            region_name="us-east-1",
            endpoint_url="http://127.0.0.1:9",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        ),
    )


def test_sqs_wake_patch_is_pinned_to_the_installed_localstack():
    # Fails on a LocalStack upgrade on purpose: read SqsPoller of the new release (how poll_events derives
    # the receive's wait from the batching window), then move the pin.
    import inspect

    from localstack.services.lambda_.event_source_mapping.pollers.sqs_poller import SqsPoller

    assert version("localstack-core") == PINNED_LOCALSTACK
    assert sqs_wake.RECEIVE_WAIT in inspect.getsource(SqsPoller.poll_events)


@pytest.mark.parametrize(
    "patch", [events_to_sqs, events_to_lambda, apigateway_to_lambda], ids=lambda patch: patch.__name__.split(".")[-1]
)
def test_an_in_process_patch_is_pinned_to_the_installed_localstack(patch):
    # Fails on a LocalStack upgrade on purpose: read the function the patch stands in for in the new release
    # (SqsTargetSender.send_event, LambdaTargetSender.send_event, RestApiAwsProxyIntegration.call_lambda:
    # how it finds its target, what it sends, what it returns), then move the pin.
    import importlib.util

    source = Path(importlib.util.find_spec(patch.MODULE).origin).read_text()
    assert version("localstack-core") == PINNED_LOCALSTACK
    assert all(step in source for step in patch.ORIGINAL_STEPS)


def test_api_gateway_answers_the_lambda_errors_the_patch_raises_as_it_answered_the_clients():
    # What call_lambda's caller does with a ClientError (502, 500 for AccessDenied) is what the patch relies on.
    import importlib.util

    source = Path(importlib.util.find_spec(apigateway_to_lambda.MODULE).origin).read_text()
    assert "except ClientError as e:" in source and '"AccessDeniedException"' in source


def in_fresh_interpreter(script: str) -> str:
    """What the script printed, run by a new interpreter of this venv (nothing of LocalStack imported yet)."""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_events_patch_waits_for_localstack_to_import_its_targets_and_then_applies():
    # In a fresh interpreter: installing the patch imports nothing of EventBridge (nothing at start),
    # and LocalStack's own import of its target senders leaves SqsTargetSender patched.
    script = (
        "import copy, importlib, sys\n"
        "from embedded_localstack.patches import events_to_sqs\n"
        "events_to_sqs.on_import(); events_to_sqs.on_import()\n"
        "importlib.reload(events_to_sqs).on_import()  # a second copy of the module: one finder still\n"
        "assert events_to_sqs.MODULE not in sys.modules, 'imported at install'\n"
        "copy.deepcopy(importlib.util.find_spec(events_to_sqs.MODULE))\n"
        "from localstack.services.events.provider import EventsProvider\n"
        "from localstack.services.events.target import LambdaTargetSender, SqsTargetSender\n"
        "assert SqsTargetSender._delivers_in_process\n"
        "assert events_to_sqs.deliver_in_process()\n"
        "assert not hasattr(LambdaTargetSender, '_invokes_in_process'), 'only what was installed'\n"
        "print('patched once')\n"
    )
    assert in_fresh_interpreter(script) == "patched once"


def test_rules_after_answer_patch_is_pinned_to_the_installed_localstack():
    # Fails on a LocalStack upgrade on purpose: read EventsProvider._process_entry of the new release
    # (how it starts an event's rules), then move the pin.
    import importlib.util

    source = Path(importlib.util.find_spec(rules_after_answer.MODULE).origin).read_text()
    assert version("localstack-core") == PINNED_LOCALSTACK
    assert source.count("start_worker_thread(") == 1 and rules_after_answer.ORIGINAL_CALL in source


def test_the_rules_patch_waits_for_localstack_to_import_its_events_provider_and_then_defers_the_rules():
    # In a fresh interpreter: installing imports nothing of EventBridge; once LocalStack imports its
    # provider, an event's rules thread is started through `later`, which here holds it, then starts it.
    script = (
        "import importlib, sys, threading\n"
        "from embedded_localstack.patches import rules_after_answer\n"
        "held = []\n"
        "rules_after_answer.on_import(held.append); rules_after_answer.on_import(held.append)\n"
        "assert rules_after_answer.MODULE not in sys.modules, 'imported at install'\n"
        "from localstack.services.events import provider\n"
        "assert rules_after_answer.start_after_answer(held.append), 'patched once'\n"
        "ran = threading.Event()\n"
        "provider.start_worker_thread(lambda params: ran.set(), params={}, name='rules')\n"
        "assert len(held) == 1 and not ran.is_set(), 'held, not started'\n"
        "held[0]()\n"
        "assert ran.wait(10), 'started once let go'\n"
        "print('deferred')\n"
    )
    assert in_fresh_interpreter(script) == "deferred"


def test_the_apigateway_patch_waits_for_localstack_to_import_its_integrations_and_then_applies():
    script = (
        "import sys\n"
        "from embedded_localstack.patches import apigateway_to_lambda\n"
        "apigateway_to_lambda.on_import(); apigateway_to_lambda.on_import()\n"
        "assert apigateway_to_lambda.MODULE not in sys.modules, 'imported at install'\n"
        "from localstack.services.apigateway.next_gen.execute_api.integrations.aws import RestApiAwsProxyIntegration\n"
        "assert RestApiAwsProxyIntegration.call_lambda._in_process\n"
        "assert apigateway_to_lambda.invoke_in_process()\n"
        "print('patched once')\n"
    )
    assert in_fresh_interpreter(script) == "patched once"


def test_two_patches_of_one_module_both_apply_once_it_is_imported():
    # In a fresh interpreter: the SQS and the Lambda target patches wait for the same module; each
    # applies once, however often installed, and a patch installed after the import applies at once.
    script = (
        "import sys\n"
        "from embedded_localstack.patches import events_to_lambda, events_to_sqs\n"
        "events_to_sqs.on_import(); events_to_lambda.on_import(); events_to_lambda.on_import()\n"
        "finders = [f for f in sys.meta_path if getattr(f, 'patched_module', None) == events_to_sqs.MODULE]\n"
        "assert len(finders) == 1 and len(finders[0].patches) == 2, finders\n"
        "from localstack.services.events.target import LambdaTargetSender, SqsTargetSender\n"
        "assert SqsTargetSender._delivers_in_process and LambdaTargetSender._invokes_in_process\n"
        "from embedded_localstack.patches import rules_after_answer\n"
        "from localstack.services.events import provider\n"
        "rules_after_answer.on_import(print)\n"
        "assert provider.start_worker_thread._after_answer, 'patched at once: already imported'\n"
        "print('both')\n"
    )
    assert in_fresh_interpreter(script) == "both"


class Provider:
    """Stands in for a provider operation: fails with the given errors, in turn, then answers."""

    def __init__(self, *errors: Exception):
        self.errors, self.calls = list(errors), 0

    def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "answer"


@pytest.fixture
def pauses(monkeypatch):
    from embedded_localstack.patches import in_process

    slept: list[float] = []
    monkeypatch.setattr(in_process.time, "sleep", slept.append)
    monkeypatch.setattr(in_process.config, "DISABLE_BOTO_RETRIES", False)
    return slept


def test_an_in_process_call_is_retried_as_localstacks_internal_client_retries(pauses):
    from localstack.aws.api import CommonServiceException

    from embedded_localstack.patches.in_process import call_as_internal_client

    throttled = CommonServiceException("TooManyRequestsException", "Rate exceeded", status_code=429)
    shutting_down = CommonServiceException("ServiceException", "a version shutting down", status_code=500)
    provider = Provider(throttled, shutting_down)

    assert call_as_internal_client(provider, "Invoke") == "answer"
    assert provider.calls == 3
    assert len(pauses) == 2 and 0 <= pauses[0] <= 1 and 0 <= pauses[1] <= 2, "botocore's legacy backoff"


def test_an_in_process_call_fails_as_the_internal_client_failed(pauses):
    from botocore.exceptions import ClientError
    from localstack.aws.api import CommonServiceException

    from embedded_localstack.patches.in_process import MAX_ATTEMPTS, call_as_internal_client

    missing = CommonServiceException("ResourceNotFoundException", "Function not found", status_code=404)
    with pytest.raises(ClientError) as once:
        call_as_internal_client(provider := Provider(missing), "Invoke")
    assert provider.calls == 1 and pauses == [], "not retried"
    assert once.value.response["Error"] == {"Code": "ResourceNotFoundException", "Message": "Function not found"}
    assert once.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    with pytest.raises(ClientError) as internal:
        call_as_internal_client(provider := Provider(*[KeyError("x")] * 9), "Invoke")
    assert provider.calls == MAX_ATTEMPTS == 5, "a bare exception is the chain's 500, retried as one"
    assert internal.value.response["Error"]["Code"] == "InternalError"


def test_without_boto_retries_an_in_process_call_is_tried_once(pauses, monkeypatch):
    from botocore.exceptions import ClientError
    from localstack.aws.api import CommonServiceException

    from embedded_localstack.patches import in_process

    monkeypatch.setattr(in_process.config, "DISABLE_BOTO_RETRIES", True)
    throttled = CommonServiceException("TooManyRequestsException", "Rate exceeded", status_code=429)
    with pytest.raises(ClientError):
        in_process.call_as_internal_client(provider := Provider(throttled), "Invoke")
    assert provider.calls == 1 and pauses == []


def test_an_events_rules_run_on_the_answering_thread_when_no_thread_can_be_started():
    script = (
        "import threading\n"
        "from embedded_localstack.patches import rules_after_answer\n"
        "from localstack.services.events import provider\n"
        "def no_thread(*args, **kwargs):\n"
        '    raise RuntimeError("can\'t start new thread")\n'
        "provider.start_worker_thread = no_thread\n"
        "held = []\n"
        "assert rules_after_answer.start_after_answer(held.append)\n"
        "ran = []\n"
        "provider.start_worker_thread(lambda params: ran.append((params, threading.current_thread().name)), "
        "params={'event': 1}, name='rules')\n"
        "assert ran == []\n"
        "held[0]()\n"
        "assert ran == [({'event': 1}, threading.current_thread().name)], ran\n"
        "print('ran here')\n"
    )
    assert in_fresh_interpreter(script) == "ran here"


def test_an_sqs_mapping_without_a_batching_window_long_polls_and_one_with_a_window_keeps_it(monkeypatch):
    assert sqs_wake.wake_on_send()

    assert sqs_poller(None, monkeypatch).maximum_batching_window == 20, "the receive waits for the first message"
    assert sqs_poller(0, monkeypatch).maximum_batching_window == 20
    assert sqs_poller(5, monkeypatch).maximum_batching_window == 5, "a batch is still held for its window"


@pytest.fixture
def moto_listing_restored():
    from moto.core import responses

    listing = responses.method_names_from_class
    yield
    responses.method_names_from_class = listing


def test_moto_lists_a_handler_class_once_and_answers_as_before(moto_listing_restored):
    """The patch applies to the moto installed (its call_action makes the call it replaces), lists each
    class once, and says yes and no for the same names as moto's own listing."""
    from moto.core import responses
    from moto.core.utils import method_names_from_class as moto_listing
    from moto.dynamodb.responses import DynamoHandler

    assert moto_dispatch.list_each_class_once()
    assert moto_dispatch.list_each_class_once()  # a second time changes nothing
    names = responses.method_names_from_class(DynamoHandler)
    assert names is responses.method_names_from_class(DynamoHandler)  # listed once
    for name in moto_listing(DynamoHandler):
        assert name in names
    for name in ("get_item", "update_item", "transact_write_items"):
        assert name in names
    for name in ("", "no_such_action", "GetItem", "__dict__"):
        assert name not in names


def test_a_method_added_after_the_first_listing_is_found(moto_listing_restored):
    from moto.core import responses
    from moto.core.responses import BaseResponse

    class Handler(BaseResponse):
        def first(self):
            return "first"

    assert moto_dispatch.list_each_class_once()
    assert "first" in responses.method_names_from_class(Handler)
    assert "second" not in responses.method_names_from_class(Handler)
    Handler.second = lambda self: "second"
    assert "second" in responses.method_names_from_class(Handler)


def test_the_dynamodb_process_answers_through_moto_listing_each_class_once(moto_listing_restored):
    """A GetItem reaches moto's handler through the listing made once (and finds its item)."""
    import io
    import json

    from moto.core import responses
    from moto.dynamodb.responses import DynamoHandler

    from embedded_localstack.dynamodb_process import server

    assert moto_dispatch.list_each_class_once()
    auth = "AWS4-HMAC-SHA256 Credential=test/20261206/us-east-1/dynamodb/aws4_request, Signature=x"

    def call(operation: str, body: dict) -> tuple[str, dict]:
        data = json.dumps(body).encode()
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": "/", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(data),
            "CONTENT_LENGTH": str(len(data)), "CONTENT_TYPE": "application/x-amz-json-1.0",
            "HTTP_HOST": "127.0.0.1:1", "HTTP_X_AMZ_TARGET": f"DynamoDB_20120810.{operation}", "HTTP_AUTHORIZATION": auth,
        }  # fmt: skip
        status = []
        answer = b"".join(server.application(environ, lambda s, h, e=None: status.append(s)))
        return status[0], json.loads(answer or b"{}")

    table = f"listing-{os.getpid()}-{time.monotonic_ns()}"
    key = {"k": {"S": "a"}}
    schema = {"KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}
    schema["AttributeDefinitions"] = [{"AttributeName": "k", "AttributeType": "S"}]
    assert call("CreateTable", {"TableName": table, **schema})[0] == "200 OK"
    assert call("PutItem", {"TableName": table, "Item": key | {"v": {"S": "x"}}})[0] == "200 OK"
    assert call("GetItem", {"TableName": table, "Key": key}) == ("200 OK", {"Item": key | {"v": {"S": "x"}}})
    assert DynamoHandler in responses.method_names_from_class.listed
    status, answer = call("NoSuchOperation", {"TableName": table})
    assert not status.startswith("200"), answer


def test_moto_without_its_sources_is_left_as_it_is(moto_listing_restored, monkeypatch):
    from moto.core import responses

    listing = responses.method_names_from_class

    def no_source(obj):
        raise OSError("could not get source code")

    monkeypatch.setattr(moto_dispatch.inspect, "getsource", no_source)
    assert not moto_dispatch.list_each_class_once()
    assert responses.method_names_from_class is listing
