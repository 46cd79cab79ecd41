"""`make dlq` explains why each message failed, from what its sender recorded."""

import json

from tools.dead_letters import error_context


def test_async_invocation_record_names_condition_attempts_and_error():
    record = {
        "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "responsePayload": {"errorType": "InjectedFault", "errorMessage": "boom"},
    }
    assert error_context({"Body": json.dumps(record)}) == "RetriesExhausted after 3 attempts: InjectedFault boom"


def test_eventbridge_dead_letter_names_the_delivery_error():
    message = {
        "Body": "{}",
        "MessageAttributes": {
            "ERROR_CODE": {"StringValue": "SDK_CLIENT_ERROR"},
            "ERROR_MESSAGE": {"StringValue": "throttled"},
        },
    }
    assert error_context(message) == "EventBridge could not deliver: SDK_CLIENT_ERROR throttled"


def test_sqs_redriven_message_names_its_receive_count_and_source():
    message = {"Body": "not json", "Attributes": {"ApproximateReceiveCount": "4", "DeadLetterQueueSourceArn": "arn:q"}}
    assert error_context(message) == "failed 4 receives on arn:q"
