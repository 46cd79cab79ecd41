"""The gateway's twisted site without an access log that nothing reads.

LocalStack 4.14.0 serves its gateway through rolo's ``TwistedGateway``, a ``twisted.web.server.Site``
(localstack-twisted 25.5.0, which LocalStack pins), with twisted's defaults:

each request's access-log line is formatted and published to twisted's global logger
(``HTTPFactory.log``), which LocalStack never starts: nothing shows it, and twisted keeps the last
65,536 events in memory until logging begins (twisted/logger/_global.py). LocalStack's own log line
per request (``localstack.request.aws``) is written by its handler chain, not by this.

Switched off on the site object only. Twisted's parsing of POST form bodies into ``request.args``
(about 8 % of the server's CPU per trivial request) stays on, though nothing reads ``request.args``:
it is also what answers a multipart body without a boundary with 400, where LocalStack's API Gateway
would fail with a 500 (tests/integration/test_api_fuzzing.py). Pinned to LocalStack's version: on another one ``thin``
changes nothing and says so, and tests/unit/test_performance_parts.py fails, so that whoever upgrades
LocalStack reads this again.
"""

import inspect
import logging

from embedded_localstack.patches.localstack_pin import is_pinned

LOG = logging.getLogger(__name__)

# What twisted's request must still do for the switch to mean what it says (25.5.0's line).
ACCESS_LOG_CALL = "self.channel.factory.log(self)"


def thin(site) -> bool:
    """Switches off the site's access log. True if it did."""
    if not is_pinned("embedded_localstack/patches/twisted_site.py", "the gateway's site formats an access log"):
        return False
    from twisted.web import http

    if ACCESS_LOG_CALL not in inspect.getsource(http.Request.finish):
        raise RuntimeError(f"twisted's Request.finish no longer logs through {ACCESS_LOG_CALL}")
    site.log = _no_access_log
    return True


def _no_access_log(request) -> None:
    pass
