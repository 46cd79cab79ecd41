"""The dashboard's settings: its constants, and what it reads from the environment through infra/settings.py."""

from infra import settings as shop_settings
from infra.paths import PROJECT_DIR

HOST = "127.0.0.1"  # never another interface: the page can move messages
PORT = shop_settings.DASHBOARD_PORT
# Host header values the server answers (DNS rebinding: a foreign name resolving to 127.0.0.1 is refused).
ALLOWED_HOSTS = ("127.0.0.1", "localhost")
# The page asks the server for fresh sections this often; the server answers from what it collected.
REFRESH_SECONDS = 2
REQUEST_BUDGET = shop_settings.DASHBOARD_REQUEST_BUDGET
# Collecting stops this long after the last page asked for anything, so a forgotten server costs nothing.
WATCHED_SECONDS = 15
# How often each kind of thing is read again while a page is open (the budget may stretch these).
PERIODS = {"structure": 30, "queue": 2, "table": 10, "invocations": 5, "dead letters": 5}
# Dead letters shown per queue, and a message body's first characters (a 256 KB body stays readable).
DEAD_LETTERS_SHOWN = 10
BODY_CHARS = 4000
INVOCATIONS_SHOWN = 5
# The chart library, installed from dashboard/package-lock.json into build/ on first use, served locally.
ASSETS_DIR = PROJECT_DIR / "build" / "dashboard"
SCREENSHOTS_DIR = ASSETS_DIR / "screenshots"
