"""The gateway's twisted site without the two things it does on every request that nothing reads.

LocalStack 4.14.0 serves its gateway through rolo's ``TwistedGateway``, a ``twisted.web.server.Site``
(localstack-twisted 25.5.0, which LocalStack pins), with twisted's defaults:

- each request's access-log line is formatted and published to twisted's global logger
  (``HTTPFactory.log``), which LocalStack never starts: nothing shows it, and twisted keeps the last
  65,536 events in memory until logging begins (twisted/logger/_global.py). LocalStack's own log line
  per request (``localstack.request.aws``) is written by its handler chain, not by this.
- each POST body with a Content-Type is read again to parse form fields into ``request.args``
  (``Request.requestReceived``), parsing the header with the email package first: about 8 % of the
  server's CPU per trivial request. The gateway is a WSGI application, and twisted's WSGI bridge and
  rolo build its environ from the raw body and URI; ``request.args`` is read by nothing.

Both are switched off on the site object only; twisted offers the second as the Site's
``parsePOSTFormSubmission`` setting. Pinned to LocalStack's version: on another one ``thin``
changes nothing and says so, and tests/unit/test_performance_parts.py fails, so that whoever upgrades
LocalStack reads this again.
"""

import inspect
import logging
from importlib.metadata import version

from embedded_localstack.patches.localstack_pin import PINNED_LOCALSTACK

LOG = logging.getLogger(__name__)

# What twisted's request must still do for the two switches to mean what they say (25.5.0's lines).
FORM_PARSING_GATE = "and self._parsePOSTFormSubmission"
ACCESS_LOG_CALL = "self.channel.factory.log(self)"


def thin(site) -> bool:
    """Switches off the site's access log and form parsing. True if it did."""
    installed = version("localstack-core")
    if installed != PINNED_LOCALSTACK:
        LOG.warning(
            "the gateway's site formats an access log and parses form bodies: embedded_localstack/patches/"
            "twisted_site.py patches LocalStack %s, not %s",
            PINNED_LOCALSTACK,
            installed,
        )
        return False
    from twisted.web import http

    if FORM_PARSING_GATE not in inspect.getsource(http.Request.requestReceived):
        raise RuntimeError(f"twisted's Request.requestReceived no longer parses forms only {FORM_PARSING_GATE}")
    if ACCESS_LOG_CALL not in inspect.getsource(http.Request.finish):
        raise RuntimeError(f"twisted's Request.finish no longer logs through {ACCESS_LOG_CALL}")
    site._parsePOSTFormSubmission = False
    site.log = _no_access_log
    return True


def _no_access_log(request) -> None:
    pass
