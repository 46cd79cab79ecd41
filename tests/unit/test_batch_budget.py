"""The budget the queue consumers rely on (lambdas/shared/batches.py) holds in the deployment
(infra/stack.py): a full batch of records that all run to RECORD_TIMEOUT fits in the function's
timeout, with the consumer's reserve, and the queue's visibility timeout is 6 x the function's."""

import dataclasses

import pytest

from infra import model, stack
from infra.model import BATCH_RESERVE_SECONDS, check_batch_budgets
from infra.stack import SUBSCRIPTIONS


@pytest.mark.parametrize("subscription", SUBSCRIPTIONS, ids=lambda s: s.function.name)
def test_provisioning_tells_each_consumer_the_reserve_its_timeout_was_sized_with(subscription):
    assert float(subscription.function.environment["BATCH_RESERVE_SECONDS"]) == BATCH_RESERVE_SECONDS


@pytest.mark.parametrize("subscription", SUBSCRIPTIONS, ids=lambda s: s.function.name)
def test_every_consumer_has_room_for_a_full_batch_of_records_at_their_limit(subscription):
    record_timeout = float(subscription.function.environment["RECORD_TIMEOUT"])
    assert subscription.batch_size * record_timeout + BATCH_RESERVE_SECONDS <= subscription.function.timeout
    assert subscription.queue.visibility_timeout >= 6 * subscription.function.timeout


def test_the_deployment_is_checked_when_it_is_declared():
    ordering = next(s for s in SUBSCRIPTIONS if s.function is stack.ORDERING_FUNCTION)
    too_big = dataclasses.replace(ordering, batch_size=ordering.batch_size + 1)
    with pytest.raises(ValueError, match="untried"):
        check_batch_budgets([too_big])
    short_visibility = dataclasses.replace(
        ordering, queue=dataclasses.replace(ordering.queue, visibility_timeout=ordering.function.timeout)
    )
    with pytest.raises(ValueError, match="visibility"):
        check_batch_budgets([short_visibility])
    check_batch_budgets(SUBSCRIPTIONS)


def test_the_function_timeout_is_the_smallest_whole_second_that_fits():
    assert model.batch_function_timeout(10, 1.0) == 11
    assert model.batch_function_timeout(5, 0.5) == 3
    assert model.batch_function_timeout(10, 0.9) == 10
