"""The embedded gateway answers only requests whose Host names this machine.

DNS rebinding: a web page the developer visits, at http://attacker.example:4566/, has its name re-resolved
to 127.0.0.1, and its scripts then read the local APIs as "same origin"; CORS never applies. What gives
it away is the Host header, which still says attacker.example. So the gateway answers only Hosts that
a page cannot rebind to this machine:

- loopback addresses (127.0.0.0/8, [::1]) and localhost, *.localhost (RFC 6761: always loopback);
- localhost.localstack.cloud and its subdomains (LocalStack's S3 virtual hosts, execute-api hosts, queue
  URLs): the public DNS name answers 127.0.0.1 and belongs to LocalStack;
- LOCALSTACK_HOST's host and its subdomains (`<id>.execute-api.<host>`);
- AWS service names (*.amazonaws.com, *.amazonaws.com.cn, *.aws such as *.on.aws function URLs, where
  a function's connections land: aws_guard.py): their DNS is AWS's, not the page's;
- the names in EMBEDDED_ALLOWED_HOSTS (comma-separated; `*.name` for its subdomains; `*` for any Host).

Any other Host gets 403 naming that setting. Installed first in LocalStack 4.14.0's gateway handler
chain (localstack/aws/app.py: LocalstackAwsGateway.request_handlers), before /_localstack resources
and every service, by the embedded mode's runtime server (plugins.py). Pinned to that release:
tests/unit/test_host_check.py fails on another one, so that whoever upgrades reads the chain again.
"""

import ipaddress
import json
import logging
import re

from embedded_localstack import settings

LOG = logging.getLogger(__name__)

SETTING = settings.ALLOWED_HOSTS.name
# Names whose subdomains are local too.
LOCAL_DOMAINS = ("localhost", "localhost.localstack.cloud")
AWS_DOMAINS = ("amazonaws.com", "amazonaws.com.cn", "aws")


class BadAllowedHosts(ValueError):
    pass


# A Host header as RFC 9110 has it: a name or an IPv4 address, or an IPv6 address in brackets, then an
# optional port of digits. Anything else (a fragment, text after the brackets, a port of letters) names
# no host, and so is never allowed.
_HOST_HEADER = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(:[0-9]{1,5})?")


def host_name(header: str) -> str:
    """The host of a Host header, without its port, brackets or trailing dot, lower case; "" when the
    header is not a well-formed host."""
    match = _HOST_HEADER.fullmatch(header.strip().lower())
    if not match:
        return ""
    return match.group(1).strip("[]").rstrip(".")


def parse_allowed(value: str) -> tuple[set[str], set[str], bool]:
    """EMBEDDED_ALLOWED_HOSTS as (exact names, domains whose subdomains are allowed, any host)."""
    exact, domains, any_host = set(), set(), False
    for entry in (part.strip().lower() for part in value.split(",")):
        if not entry:
            continue
        if entry == "*":
            any_host = True
        elif entry.startswith("*."):
            domains.add(entry[2:].rstrip("."))
        elif "/" in entry or "*" in entry or " " in entry:
            raise BadAllowedHosts(
                f"{SETTING} takes host names separated by commas (`shop.test`, `*.shop.test`, or `*` for any), "
                f"got {entry!r}"
            )
        else:
            exact.add(host_name(entry))
    return exact, domains, any_host


class HostCheck:
    """A LocalStack gateway request handler: 403 for a Host that does not name this machine."""

    def __init__(self, localstack_host: str, allowed: str):
        self.exact, self.domains, self.any_host = parse_allowed(allowed)
        self.exact.add(host_name(localstack_host))
        self.domains |= {*LOCAL_DOMAINS, *AWS_DOMAINS}
        if not _is_address(host_name(localstack_host)):
            self.domains.add(host_name(localstack_host))

    def allows(self, header: str) -> bool:
        host = host_name(header)
        if self.any_host or host in self.exact or host in self.domains:
            return True
        if _is_address(host):
            return ipaddress.ip_address(host).is_loopback
        return any(host.endswith(f".{domain}") for domain in self.domains)

    def __call__(self, chain, context, response):
        # Browsers always send Host; a request without one is no page's.
        headers = context.request.headers.getlist("Host")
        header = headers[0] if len(headers) == 1 else ", ".join(headers) if headers else None
        if header is None or self.allows(header):  # two Host headers join into one that names no host
            return
        LOG.warning("refused a request for Host %r (%s %s)", header, context.request.method, context.request.path)
        message = (
            f"Host {header!r} does not name this machine, so this request may come from a web page that "
            f"rebound its name to it (DNS rebinding). To allow that name, add it to {SETTING} "
            f"(comma-separated; `*.name` for its subdomains) and restart: `make down && {SETTING}=<name> make up`."
        )
        response.status_code = 403
        response.mimetype = "application/json"
        response.set_data(json.dumps({"__type": "ForbiddenHost", "message": message}))
        chain.stop()
        chain.terminate()


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def guard(gateway) -> HostCheck:
    """Puts the Host check first in the gateway's request handlers, from LocalStack's configuration."""
    from localstack import config

    check = HostCheck(config.LOCALSTACK_HOST.host, settings.ALLOWED_HOSTS.read())
    gateway.request_handlers.insert(0, check)
    return check
