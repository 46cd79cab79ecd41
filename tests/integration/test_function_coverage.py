"""Coverage from inside the function processes (scripts/test.sh), and the tools' absence from what
is deployed: the debugger and coverage.py run beside a function, never ship in it."""

import io
import os
import uuid
import zipfile
from pathlib import Path

import coverage
import pytest
import requests

from client.waiting import eventually
from embedded_localstack.executor.instrumentation import COVERAGE_CONFIG, COVERAGE_VARIABLE, tools_in_archive
from infra.paths import HOT_RELOAD_DIR
from infra.stack import FUNCTIONS
from tests.integration.embedded_instances import PROJECT


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.name)
def test_deployed_code_holds_neither_the_debugger_nor_coverage(lambda_client, function):
    code = lambda_client.get_function(FunctionName=function.name)["Code"]
    if code.get("Location", "").startswith("http"):  # an archive: what LocalStack unzips for the function
        archive = requests.get(code["Location"], timeout=30)
        assert archive.status_code == 200
        names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    else:  # hot reload: the folder the function runs from
        names = [
            path.relative_to(HOT_RELOAD_DIR / function.name).as_posix()
            for path in (HOT_RELOAD_DIR / function.name).iterdir()
        ]
    assert names, "the code was read"
    assert tools_in_archive(names) == []


@pytest.fixture
def function_coverage_data(embedded_only) -> Path:
    """Docker mode's functions run in containers without coverage.py (docs/debugging.md, Coverage in Docker mode)."""
    folder = os.environ.get(COVERAGE_VARIABLE)
    if not folder:
        pytest.skip(f"function processes are measured under scripts/test.sh ({COVERAGE_VARIABLE} is not set)")
    return Path(folder)


def test_a_function_process_measures_its_handler_and_logic_under_their_real_source_paths(
    function_coverage_data, http, product_api, tmp_path, tmp_path_factory
):
    # Given a product id nobody has, so this test's request is the only one to reach these lines
    missing = f"missing-{uuid.uuid4().hex}"

    # When the product function answers it
    assert http.get(f"{product_api}/product/{missing}").status_code == 404

    # Then a function process's data, combined with the project's [paths], names lambdas/product/*
    def measured() -> set[str]:
        # Named .coverage like the function's files: combine reads files named after its own data file.
        data_file = tmp_path / uuid.uuid4().hex / ".coverage"
        data_file.parent.mkdir()
        combined = coverage.Coverage(config_file=str(COVERAGE_CONFIG), data_file=str(data_file))
        combined.combine([str(function_coverage_data)], keep=True)
        data = combined.get_data()
        return {path for path in data.measured_files() if data.lines(path)}

    lambdas = PROJECT / "lambdas"
    files = eventually(
        lambda: (
            (found := measured()) >= {str(lambdas / "product" / "handler.py"), str(lambdas / "product" / "logic.py")}
            and found
        ),
        timeout=30,
        what="function coverage of lambdas/product",
    )
    # Every measured file has its real source path: the shop's under lambdas/, and those of functions
    # other tests deploy from copies of lambdas/ in their own tmp folders (hot reload) under those.
    # None is left at a path LocalStack unpacked an archive to.
    tests_own = Path(tmp_path_factory.getbasetemp()).parent
    assert all(path.startswith((str(lambdas), str(tests_own))) for path in files), sorted(files)
