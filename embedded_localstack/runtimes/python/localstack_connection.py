"""Reports to LocalStack's executor endpoint over HTTP, when the executor passes no report pipe."""

from __future__ import annotations  # the function's interpreter may be older than this file's syntax

import http.client
import json
import urllib.parse


class LocalStackConnection:
    """Reports to LocalStack over one kept-alive connection: a new TCP connection per report costs
    more than the rest of a warm invocation."""

    def __init__(self, endpoint: str):
        url = urllib.parse.urlsplit(endpoint)
        self.host, self.port, self.prefix = url.hostname, url.port or 80, url.path
        self.connection: http.client.HTTPConnection | None = None

    def post(self, path: str, body: object) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.connection.request("POST", self.prefix + path, data, {"Content-Type": "application/json"})
                self.connection.getresponse().read()
                return
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
