"""Functions never reach real AWS by accident: the network guard of a function's processes.

In Docker mode LocalStack's DNS answers every AWS hostname with LocalStack's own address, so a
function whose SDK ignores ``AWS_ENDPOINT_URL`` (AWS SDK for JavaScript v3 before 3.450, an old
boto3, an endpoint pinned in code) still lands in LocalStack. Embedded mode has no DNS of its own;
this guard does the same inside each process of a function. A connection to an AWS hostname
(``*.amazonaws.com``, ``*.amazonaws.com.cn``, ``*.aws``, which includes ``*.api.aws`` and ``*.on.aws``)
goes to LocalStack's gateway, which serves HTTP and TLS on one port and routes by the request's
Host and Authorization headers; TLS to such a host accepts LocalStack's certificate. Other hosts
are reached as usual, unless ``EMBEDDED_LAMBDA_ALLOW_INTERNET=0``: then only this machine is, and
anything else fails at once with an error naming the host, the function and the setting.

Python: ``socket.getaddrinfo`` (every name lookup of the standard library, urllib3, botocore,
asyncio), ``socket.socket.connect`` (a name or address given straight to a socket) and
``ssl.SSLContext`` (the certificate). python/runtime.py installs it before the handler's module is
imported; child Python processes get it from ``function_site/sitecustomize.py`` (PYTHONPATH).
Node.js: ``aws_guard.cjs`` (NODE_OPTIONS=--require), in the runtime and its child node processes.
A function configured with an HTTP proxy gets the AWS domains in NO_PROXY. Not covered: other
languages' child processes, Python started with -I or -S, native code that opens sockets itself, and
a proxy that a client uses for AWS hosts in spite of NO_PROXY.

This file runs under the function's interpreter (Python 3.8 and up): the standard library only.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import sys

GATEWAY_VARIABLE = "EMBEDDED_LAMBDA_GATEWAY"  # host:port of LocalStack's gateway, set by the executor
INTERNET_VARIABLE = "EMBEDDED_LAMBDA_ALLOW_INTERNET"  # "0": functions reach this machine only
AWS_DOMAINS = ("amazonaws.com", "amazonaws.com.cn", "aws")
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
NODE_GUARD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "aws_guard.cjs")
PYTHON_SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "function_site")


def is_aws_host(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.lower().rstrip(".")
    return any(name == domain or name.endswith("." + domain) for domain in AWS_DOMAINS)


def is_local(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None or host == "":
        return True  # getaddrinfo(None, ...) is this machine
    name = str(host).lower().strip("[]").rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


class Refused(ConnectionRefusedError):
    """A connection the guard does not let leave this machine."""


class Guard:
    def __init__(self, gateway: str, allow_internet: bool, function_name: str):
        host, _, port = gateway.rpartition(":")
        self.gateway = (host.strip("[]"), int(port)) if host and port.isdigit() else None
        self.allow_internet = allow_internet
        self.function_name = function_name or "this function"
        self.announced: set[str] = set()

    @classmethod
    def from_environment(cls, environ) -> Guard:
        return cls(
            environ.get(GATEWAY_VARIABLE, ""),
            environ.get(INTERNET_VARIABLE) != "0",
            environ.get("AWS_LAMBDA_FUNCTION_NAME", ""),
        )

    def route(self, host, port):
        """Where a connection to host:port goes: None for as asked, LocalStack's (host, port) for AWS.
        Raises Refused for a connection that must not happen."""
        if is_aws_host(host):
            if self.gateway is None:
                raise self._refusal(
                    host,
                    port,
                    f"which is AWS, and {GATEWAY_VARIABLE} does not say where LocalStack is",
                    f"Keep {GATEWAY_VARIABLE} in the function's environment, or point its SDK at AWS_ENDPOINT_URL.",
                )
            if host not in self.announced:
                self.announced.add(host)
                sys.stderr.write(
                    f"[embedded runtime] {self.function_name}: {host}:{port} is AWS, sent to LocalStack at "
                    f"{self.gateway[0]}:{self.gateway[1]} (the function's SDK did not use AWS_ENDPOINT_URL)\n"
                )
            return self.gateway
        if not self.allow_internet and not is_local(host):
            raise self._refusal(
                host,
                port,
                f"{INTERNET_VARIABLE}=0 keeps functions on this machine",
                f"To allow it, set {INTERNET_VARIABLE}=1 (config/localstack.env, or the function's environment).",
            )
        return None

    def _refusal(self, host, port, reason: str, fix: str) -> Refused:
        where = f"{host}:{port}" if port else f"{host}"
        return Refused(f"{self.function_name} tried to connect to {where}: refused by embedded mode, {reason}. {fix}")


_installed: Guard | None = None


def install(environ=None) -> Guard:
    """Puts this process under the guard. Idempotent."""
    global _installed
    if _installed is not None:
        return _installed
    guard = _installed = Guard.from_environment(os.environ if environ is None else environ)

    original_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        target = guard.route(host, port)
        if target is None:
            return original_getaddrinfo(host, port, family, type, proto, flags)
        return original_getaddrinfo(target[0], target[1], 0, type, proto, flags)

    socket.getaddrinfo = getaddrinfo

    def routed(sock, address):
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
            return address
        target = guard.route(address[0], address[1])
        if target is None:
            return address
        if sock.family == socket.AF_INET6:
            host = target[0] if ":" in target[0] else f"::ffff:{target[0]}"
            return (host, target[1], *address[2:])
        return target

    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex
    socket.socket.connect = lambda self, address: original_connect(self, routed(self, address))
    socket.socket.connect_ex = lambda self, address: original_connect_ex(self, routed(self, address))

    # TLS to an AWS host is TLS to LocalStack (every such connection goes there), whose certificate
    # names no AWS host: accepted for these connections only. Clients that match the host name
    # themselves (urllib3, so botocore) read the certificate as naming the host they asked for.
    accepting = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    accepting.check_hostname = False
    accepting.verify_mode = ssl.CERT_NONE
    accepting.sslsocket_class = type("LocalStackSSLSocket", (ssl.SSLSocket,), {"getpeercert": _named_certificate})
    accepting.sslobject_class = type("LocalStackSSLObject", (ssl.SSLObject,), {"getpeercert": _named_certificate})
    original_wrap_socket, original_wrap_bio = ssl.SSLContext.wrap_socket, ssl.SSLContext.wrap_bio

    def wrap_socket(self, sock, *args, **kwargs):
        name = kwargs.get("server_hostname", args[3] if len(args) > 3 else None)
        context = accepting if guard.gateway and is_aws_host(name) else self
        return original_wrap_socket(context, sock, *args, **kwargs)

    def wrap_bio(self, incoming, outgoing, *args, **kwargs):
        name = kwargs.get("server_hostname", args[1] if len(args) > 1 else None)
        context = accepting if guard.gateway and is_aws_host(name) else self
        return original_wrap_bio(context, incoming, outgoing, *args, **kwargs)

    ssl.SSLContext.wrap_socket, ssl.SSLContext.wrap_bio = wrap_socket, wrap_bio
    return guard


def _named_certificate(self, binary_form=False):
    """LocalStack's certificate as a client that asked for an AWS host reads it: naming that host."""
    if binary_form:
        return super(type(self), self).getpeercert(True)
    host = self.server_hostname
    return {"subject": ((("commonName", host),),), "subjectAltName": (("DNS", host),)}


def environment(function_env: dict[str, str], gateway: str, allow_internet: str | None) -> dict[str, str]:
    """What the executor adds to a function's environment so that the guard covers its processes:
    where LocalStack is, the internet setting (the function's own value wins), and the preloads that
    reach child processes (NODE_OPTIONS and PYTHONPATH, ahead of the function's own values)."""
    node_options = f'--require "{NODE_GUARD}"'
    python_path = PYTHON_SITE
    if function_env.get("NODE_OPTIONS"):
        node_options += " " + function_env["NODE_OPTIONS"]
    if function_env.get("PYTHONPATH"):
        python_path += os.pathsep + function_env["PYTHONPATH"]
    env = {
        GATEWAY_VARIABLE: gateway,
        INTERNET_VARIABLE: function_env.get(INTERNET_VARIABLE) or allow_internet or "1",
        "NODE_OPTIONS": node_options,
        "PYTHONPATH": python_path,
    }
    if any(function_env.get(name) for name in PROXY_VARIABLES):
        # A proxy would carry AWS hosts off the machine (CONNECT): clients that honour NO_PROXY
        # (botocore, requests, curl) connect to them directly, which the guard sends to LocalStack.
        for name in ("NO_PROXY", "no_proxy"):
            own = function_env.get(name, "")
            env[name] = ",".join(filter(None, (own, *(f".{domain}" for domain in AWS_DOMAINS))))
    return env
