"""The declared stack and what is derived from it (infra/model.py, infra/stack.py): no resource is
referred to without being declared, nothing asynchronous loses a failure silently, and the redrive
pairs, queue policies, invoke permissions and trace path come from the declarations."""

import dataclasses

import pytest

from client.checkout_trace import checkout_path
from infra import stack
from infra.deploy import TEARDOWN
from infra.model import Function, Queue, RuleTarget, check_declared, check_failures_are_kept, check_stack
from infra.stack import STACK


def test_the_shop_stack_passes_its_own_checks():
    check_stack(STACK)


def test_every_asynchronously_invoked_function_has_an_on_failure_destination():
    asynchronous = [t.destination for r in STACK.rules for t in r.targets if isinstance(t.destination, Function)]
    asynchronous += [n.function for n in STACK.notifications] + [
        f for api in STACK.apis for f in api.non_proxy.values()
    ]
    assert asynchronous
    for function in asynchronous:
        assert function.async_invoke and function.async_invoke.on_failure, function.name


def test_every_rule_target_and_polled_queue_has_a_dead_letter_queue():
    assert all(target.dead_letter for rule in STACK.rules for target in rule.targets)
    assert all(subscription.queue.dead_letter for subscription in STACK.subscriptions)


def test_a_rule_target_function_without_an_on_failure_destination_is_refused():
    careless = dataclasses.replace(stack.NOTIFICATION_FUNCTION, async_invoke=None)
    rule = dataclasses.replace(
        stack.CHECKOUT_RULE, targets=(RuleTarget("careless", careless, stack.NOTIFICATION_TARGET_DLQ),)
    )
    with pytest.raises(ValueError, match="no on-failure destination"):
        check_failures_are_kept(dataclasses.replace(STACK, rules=(rule,), functions=(*STACK.functions, careless)))


def test_a_polled_queue_without_a_dead_letter_queue_is_refused():
    subscription = dataclasses.replace(STACK.subscriptions[0], queue=Queue("no-dlq", visibility_timeout=60))
    with pytest.raises(ValueError, match="no-dlq is polled"):
        check_failures_are_kept(dataclasses.replace(STACK, subscriptions=(subscription,)))


def test_a_resource_referred_to_but_not_declared_is_refused():
    without_target_dlq = tuple(q for q in STACK.queues if q != stack.ORDER_TARGET_DLQ)
    with pytest.raises(ValueError, match=stack.ORDER_TARGET_DLQ.name):
        check_declared(dataclasses.replace(STACK, queues=without_target_dlq))


def test_dead_letter_pairs_are_derived_from_redrive_policies_rule_targets_and_destinations():
    pairs = {dead.name: source.name if source else None for dead, source in STACK.dead_letter_queues.items()}
    assert pairs == {
        "OrderQueue-dlq": "OrderQueue",
        "image-metadata-dlq": "image-metadata",
        "CheckoutBasketRule-OrderQueue-dlq": "OrderQueue",
        "CheckoutBasketRule-notification-dlq": None,
        "notification-failures": None,
        "invoice-failures": None,
        "image-metadata-failures": None,
        "CheckoutBasketRule-checkout-audit-dlq": None,
        "checkout-audit-failures": None,
    }


def test_a_second_consumer_of_checkouts_is_one_more_target_in_the_stack():
    # Given a new queue as a further target of the checkout rule
    audit, audit_dlq = Queue("audit"), Queue("CheckoutBasketRule-audit-dlq")
    rule = dataclasses.replace(
        stack.CHECKOUT_RULE, targets=(*stack.CHECKOUT_RULE.targets, RuleTarget("audit", audit, audit_dlq))
    )
    grown = dataclasses.replace(STACK, rules=(rule,), queues=(*STACK.queues, audit, audit_dlq))

    # Then its dead-letter queue redrives to it, and the rule may send to both
    check_stack(grown)
    assert grown.dead_letter_queues[audit_dlq] == audit
    assert {p.queue for p in grown.queue_policies} >= {audit, audit_dlq}


def test_queue_policies_cover_every_queue_a_rule_sends_to():
    assert {p.queue.name: [r.name for r in p.senders] for p in STACK.queue_policies} == {
        "OrderQueue": ["CheckoutBasketRule"],
        "CheckoutBasketRule-OrderQueue-dlq": ["CheckoutBasketRule"],
        "CheckoutBasketRule-notification-dlq": ["CheckoutBasketRule"],
        "CheckoutBasketRule-checkout-audit-dlq": ["CheckoutBasketRule"],
    }


def test_invoke_permissions_come_from_apis_rules_and_bucket_notifications():
    permissions = {(p.function.name, p.principal) for p in STACK.invoke_permissions}
    assert permissions == {
        ("product", "apigateway.amazonaws.com"),
        ("basket", "apigateway.amazonaws.com"),
        ("order-api", "apigateway.amazonaws.com"),
        ("invoice", "apigateway.amazonaws.com"),
        ("notification", "events.amazonaws.com"),
        ("checkout-audit", "events.amazonaws.com"),
        ("image-metadata", "s3.amazonaws.com"),
    }
    assert len({(p.function.name, p.statement_id) for p in STACK.invoke_permissions}) == len(STACK.invoke_permissions)


def test_the_trace_follows_the_checkout_rule_from_its_publisher_to_every_consumer():
    assert [(f.name, q.name if q else None) for f, q in checkout_path()] == [
        ("basket", None),
        ("ordering", "OrderQueue"),
        ("notification", None),
        ("checkout-audit", None),
    ]


def test_destroying_covers_every_kind_of_resource_the_stack_holds():
    # Notifications go with their bucket; anything else new in the Stack needs its own deletion, and so do
    # the secrets its functions name.
    kinds = {f.name for f in dataclasses.fields(STACK)} | {"secrets"}
    assert {kind for kind, _ in TEARDOWN} | {"notifications"} == kinds


def test_a_table_that_fails_fails_the_deploy_before_any_function_is_created(monkeypatch):
    """The tables are created beside the queues, senders and secrets (on a thread): their failure is still
    the deploy's, and nothing that comes after them starts."""
    import threading

    from infra import deploy

    class Unreachable(Exception):
        pass

    done, functions = [], []

    def failing_table(target, table):
        assert threading.current_thread() is not threading.main_thread()
        raise Unreachable(table.name)

    class Target:
        def client(self, service):
            return object()

        def queue_url(self, name):
            return f"http://queue/{name}"

    monkeypatch.setattr(deploy.dynamodb, "ensure_table", failing_table)
    monkeypatch.setattr(deploy.sqs, "ensure_queue", lambda target, queue: done.append(queue.name))
    monkeypatch.setattr(deploy.ses, "ensure_sender", lambda target, sender: done.append(sender))
    monkeypatch.setattr(deploy.ssm, "ensure_secret", lambda target, secret: done.append(secret.name))
    monkeypatch.setattr(deploy.lambda_, "ensure_function", lambda *args: functions.append(args))
    with pytest.raises(Unreachable):
        deploy.deploy(target=Target())
    assert done and not functions
