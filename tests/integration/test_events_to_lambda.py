"""EventBridge rules with Lambda targets, as a user's app declares them: the function is invoked
asynchronously once per event, with the event as EventBridge formats it, and a target that cannot be
invoked stops no other target (embedded mode calls the Lambda provider in process:
patches/events_to_lambda.py)."""

import json
import uuid

from infra.aws import client
from tests.integration.event_rules import HOSTILE, put, receive_all, rule


def test_a_lambda_target_is_invoked_asynchronously_with_the_event_once(bus, new_queue, create_function):
    # Given a function whose successful asynchronous invocations go to a queue, targeted by a rule
    lambda_ = client("lambda")
    successes, successes_arn = new_queue()
    name = create_function("runtime_probe")
    lambda_.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": successes_arn}}
    )
    function_arn = lambda_.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    source = f"test.{uuid.uuid4().hex[:8]}"
    rule(bus, [{"Id": "fn", "Arn": function_arn}], source)

    # When two events are put
    ids = [put(bus, source, {"text": HOSTILE, "n": n}) for n in (1, 2)]

    # Then the function ran once for each, asynchronously, with the event whole
    records = [json.loads(m["Body"]) for m in receive_all(successes, 2)]
    assert sorted(record["requestPayload"]["id"] for record in records) == sorted(ids)
    for record in records:
        assert record["requestContext"]["condition"] == "Success"
        assert record["requestPayload"]["detail"]["text"] == HOSTILE
        assert record["requestPayload"]["source"] == source and record["requestPayload"]["account"] == "000000000000"


def test_a_lambda_target_whose_function_is_gone_stops_no_other_target(bus, new_queue):
    # Given a rule whose first target is a function that does not exist, and a queue after it
    kept, kept_arn = new_queue()
    region = client("lambda").meta.region_name
    missing = f"arn:aws:lambda:{region}:000000000000:function:never-{uuid.uuid4().hex[:8]}"
    source = f"test.{uuid.uuid4().hex[:8]}"
    rule(bus, [{"Id": "gone", "Arn": missing}, {"Id": "kept", "Arn": kept_arn}], source)

    # When events are put, each put succeeds and the queue gets each event
    put(bus, source, {"seq": 1})
    put(bus, source, {"seq": 2})
    assert sorted(json.loads(m["Body"])["detail"]["seq"] for m in receive_all(kept, 2)) == [1, 2]
