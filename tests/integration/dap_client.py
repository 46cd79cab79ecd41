"""A minimal Debug Adapter Protocol client (https://microsoft.github.io/debug-adapter-protocol/): JSON
messages framed by a Content-Length header, over the debugger's socket. Just enough to attach, set
breakpoints and step on, as an IDE does."""

import json
import socket
import time


class DapClient:
    def __init__(self, host: str, port: int, timeout: float):
        self.socket = socket.create_connection((host, port), timeout=timeout)
        self.buffer = b""
        self.seq = 0
        self.pending: list[dict] = []  # received, not yet asked for

    def close(self) -> None:
        self.socket.close()

    def send(self, command: str, **arguments) -> int:
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command, "arguments": arguments}).encode()
        self.socket.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return self.seq

    def request(self, command: str, timeout: float, **arguments) -> dict:
        seq = self.send(command, **arguments)
        return self.wait_for(
            lambda m: m["type"] == "response" and m["request_seq"] == seq, timeout, f"{command} response"
        )

    def wait_for(self, matches, timeout: float, what: str) -> dict:
        """The first message (kept or new) that matches; others are kept for later."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.pending:
                if matches(message):
                    self.pending.remove(message)
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"no {what} within {timeout} s; received {[m.get('event') or m.get('command') for m in self.pending]}"
                )
            self.socket.settimeout(remaining)
            self.pending.append(self._read())

    def event(self, name: str, timeout: float) -> dict:
        return self.wait_for(lambda m: m["type"] == "event" and m["event"] == name, timeout, f"{name} event")

    def _read(self) -> dict:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        header, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        length = next(
            int(line.split(b":")[1]) for line in header.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return json.loads(body)

    def _fill(self) -> None:
        chunk = self.socket.recv(65536)
        if not chunk:
            raise ConnectionError("the debugger closed the connection")
        self.buffer += chunk
