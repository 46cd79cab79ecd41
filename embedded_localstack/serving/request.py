"""A request as server.py parsed it, and the WSGI environment the application gets for it."""

import io
import sys
import tempfile
from urllib.parse import unquote_to_bytes, urlsplit


class Request:
    """A request as parsed off the connection: its line, its headers as they came, its whole body."""

    __slots__ = ("body", "headers", "keep_alive", "method", "target", "version")

    def __init__(self) -> None:
        self.method = b""
        self.target = b""
        self.version = "1.1"
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: io.BytesIO | tempfile.SpooledTemporaryFile = io.BytesIO()
        self.keep_alive = False


def wsgi_environ(request: Request, server: tuple[str, int], peer: tuple, scheme: str) -> dict:
    """The WSGI environment of a parsed request whose body is whole."""
    target = request.target.decode("latin-1")
    if target.startswith("/") or target == "*":
        path, _, query = target.partition("?")
    else:  # an absolute-form target ("http://host/path", as sent to a proxy) names its path inside
        parts = urlsplit(target)
        path, query = parts.path or "/", parts.query
    environ = {
        "REQUEST_METHOD": request.method.decode("latin-1"),
        "SCRIPT_NAME": "",
        # The "WSGI decoding dance": the path's bytes, percent-decoded, as latin-1.
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query,
        "RAW_URI": target,
        "REQUEST_URI": target,
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{request.version}",
        "REMOTE_ADDR": peer[0],
        "REMOTE_PORT": str(peer[1]),
        "CONTENT_LENGTH": str(request.body.tell()),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": request.body,
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        # As the client wrote them (rolo's WsgiGateway keeps their casing).
        "rolo.headers": request.headers,
    }
    for name, value in request.headers:
        key = name.decode("latin-1").upper().replace("-", "_")
        if key == "CONTENT_LENGTH" or key == "TRANSFER_ENCODING":
            continue  # the body is whole: its length is the one above
        key = key if key == "CONTENT_TYPE" else f"HTTP_{key}"
        text = value.decode("latin-1")
        environ[key] = f"{environ[key]},{text}" if key in environ else text
    return environ


def form_without_boundary(request: Request) -> bool:
    """A POST with a body declaring a multipart form without a boundary (twisted's rule: POST, a content
    type, a length; other methods and empty bodies go on to the application)."""
    if request.method != b"POST" or request.body.tell() == 0:
        return False
    for name, value in request.headers:
        if name.lower() == b"content-type":
            media_type, _, parameters = value.lower().partition(b";")
            return media_type.strip() == b"multipart/form-data" and b"boundary=" not in parameters
    return False
