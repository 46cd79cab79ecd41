"""The invoke listener belongs to the runtime alone: no process the function starts can accept on it,
and so none can take an invocation meant for the runtime (which would then time out)."""

import pytest

from embedded_localstack.runtimes import node_runtime

pytestmark = pytest.mark.usefixtures("embedded_only")

NODE = next(
    (r for r in ("nodejs20.x", "nodejs22.x", "nodejs18.x") if node_runtime.find_node(node_runtime.major_of(r))), None
)


def test_a_python_functions_child_inherits_no_listening_socket(create_function, invoke):
    # Given a function that starts a child with close_fds=False, which keeps every inheritable descriptor
    name = create_function("process_probe")

    # When the child looks for listening sockets among its descriptors
    result, response = invoke(name, {"action": "inherited_listeners"})

    # Then it finds none
    assert "FunctionError" not in response, result
    assert result["listeners"] == []


@pytest.mark.skipif(NODE is None, reason="no Node.js 18, 20 or 22 here")
def test_a_nodejs_functions_child_takes_no_invocation_meant_for_its_runtime(create_function, invoke):
    # Given a Node.js function that hands every descriptor it has to a child, which accepts on each
    # listening socket among them
    name = create_function("listener_probe_node", Runtime=NODE, Handler="app.handler", Timeout=3)
    first, response = invoke(name)
    assert "FunctionError" not in response, first

    # When it is invoked again and again while the child lives
    answers = [invoke(name) for _ in range(10)]

    # Then the child found nothing to accept on, and every invocation reached the runtime
    assert first["thief"]["listeners"] == []
    assert [payload.get("errorType") for payload, _ in answers if "FunctionError" in _] == []
    assert {payload["pid"] for payload, _ in answers} == {first["pid"]}
