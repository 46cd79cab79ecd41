"""A function that logs the ways functions do: the standard library's logging, configured as code
written for a laptop does, and, when packaged with it, Powertools' Logger as the shop uses it."""

import logging

# On Lambda the root logger already has the runtime's handler: this call changes nothing, so the
# root logger stays at WARNING and keeps the runtime's format.
logging.basicConfig(level=logging.INFO, format="%(levelname)s:%(name)s:%(message)s")
logging.getLogger().info("import-time info is below the root logger's level")
logging.getLogger().warning("import-time warning")

try:
    from aws_lambda_powertools import Logger
except ImportError:
    logger = None
else:
    logger = Logger(service="logging-probe")  # as the shop's functions create theirs


def handler(event, context):
    root = logging.getLogger()
    root.info("info before setLevel is dropped")
    root.warning("warning from the root logger")
    logging.getLogger("app.child").error("error from a child logger")
    if logger is not None:
        logger.info("powertools line", extra={"probe": True})
    root.setLevel(logging.INFO)
    root.info("info after setLevel")
    root.setLevel(logging.WARNING)  # the next invocation starts as the first did
    return {"requestId": context.aws_request_id}
