"""Event buses and rules with their targets. Drift: the rule's pattern is put on every run (PutRule is
an upsert); targets are compared as a set by Id, each with its dead-letter queue."""

import json

from infra.model import EventBus, Rule
from infra.target import Target, log


def ensure_bus(target: Target, bus: EventBus) -> None:
    events = target.client("events")
    try:
        events.create_event_bus(Name=bus.name)
        log(f"event bus {bus.name} created")
    except events.exceptions.ResourceAlreadyExistsException:
        pass


def rule_targets(target: Target, rule: Rule) -> list[dict]:
    return [
        {"Id": t.id, "Arn": target.arns(t.destination), "DeadLetterConfig": {"Arn": target.arns(t.dead_letter)}}
        for t in rule.targets
    ]


def ensure_rule(target: Target, rule: Rule) -> None:
    events = target.client("events")
    events.put_rule(Name=rule.name, EventBusName=rule.bus.name, EventPattern=json.dumps(rule.pattern))
    wanted = rule_targets(target, rule)
    current = events.list_targets_by_rule(Rule=rule.name, EventBusName=rule.bus.name)["Targets"]
    if sorted(current, key=lambda t: t["Id"]) != sorted(wanted, key=lambda t: t["Id"]):
        stale = [t["Id"] for t in current if t["Id"] not in {w["Id"] for w in wanted}]
        if stale:
            events.remove_targets(Rule=rule.name, EventBusName=rule.bus.name, Ids=stale)
        events.put_targets(Rule=rule.name, EventBusName=rule.bus.name, Targets=wanted)
        log(f"rule {rule.name} targets set: {', '.join(t.id for t in rule.targets)}")


def delete_rule(target: Target, rule: Rule) -> None:
    events = target.client("events")
    try:
        current = events.list_targets_by_rule(Rule=rule.name, EventBusName=rule.bus.name)["Targets"]
    except events.exceptions.ResourceNotFoundException:
        return
    if current:  # a rule with targets cannot be deleted
        events.remove_targets(Rule=rule.name, EventBusName=rule.bus.name, Ids=[t["Id"] for t in current])
    events.delete_rule(Name=rule.name, EventBusName=rule.bus.name)
    log(f"rule {rule.name} deleted")


def delete_bus(target: Target, bus: EventBus) -> None:
    events = target.client("events")
    try:
        events.describe_event_bus(Name=bus.name)
    except events.exceptions.ResourceNotFoundException:
        return
    events.delete_event_bus(Name=bus.name)
    log(f"event bus {bus.name} deleted")
