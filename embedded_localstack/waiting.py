"""The one way to wait: poll a condition against a deadline, never sleep a fixed time."""

import time
from collections.abc import Callable


def eventually[T](
    probe: Callable[[], T],
    timeout: float = 10,
    interval: float = 0.1,
    what: str = "condition",
    fatal: tuple[type[BaseException], ...] = (),
) -> T:
    """Calls probe() until it returns something truthy, and returns that. On timeout, raises
    TimeoutError naming the last value (or exception) seen. Exceptions of the fatal types are not
    waited out: they end the wait at once."""
    deadline = time.monotonic() + timeout
    last: T | Exception | None = None
    while True:
        try:
            last = probe()
            if last:
                return last
        except fatal:
            raise
        except Exception as e:  # keep polling; report the last failure if time runs out
            last = e
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} not met within {timeout} s; last seen: {last!r}")
        time.sleep(interval)
