"""Lambda's per-invocation CloudWatch metrics (AWS/Lambda Invocations and Errors), off unless
EMBEDDED_LAMBDA_CLOUDWATCH_METRICS=1.

LocalStack 4.14.0 sends them from a new thread per invocation, each a PutMetricData call through its
own gateway: under load that was 7% of LocalStack's CPU, and LocalStack has no setting for it (SQS
has SQS_DISABLE_CLOUDWATCH_METRICS). This replaces the two functions its version manager calls
(localstack/services/lambda_/invocation/version_manager.py imports them by name from metrics.py)
with ones that do nothing. The CloudWatch API itself is untouched: PutMetricData, GetMetricData and
alarms work as before.

Pinned to LocalStack's version: on another one, ``switch_off`` refuses to patch (the names may have
moved or the metrics become optional), and tests/unit/test_performance_parts.py fails, so that whoever
upgrades LocalStack looks at this again.
"""

import logging

from embedded_localstack import settings
from embedded_localstack.patches.localstack_pin import is_pinned

LOG = logging.getLogger(__name__)

SETTING = settings.CLOUDWATCH_METRICS.name
PATCHED_NAMES = ("record_cw_metric_invocation", "record_cw_metric_error")


def wanted() -> bool:
    return settings.CLOUDWATCH_METRICS.read()


def _nothing(*args, **kwargs) -> None:
    pass


def switch_off() -> bool:
    """Stops the per-invocation metrics unless the setting asks for them. True if it patched."""
    if wanted():
        return False
    if not is_pinned("embedded_localstack/patches/lambda_metrics.py", "Lambda CloudWatch metrics left on"):
        return False
    from localstack.services.lambda_.invocation import version_manager

    for name in PATCHED_NAMES:
        getattr(version_manager, name)  # fails loudly if 4.14.0's module is not what we read
        setattr(version_manager, name, _nothing)
    return True
