"""`make dashboard`: serves the dashboard on 127.0.0.1 (DASHBOARD_PORT) until Ctrl-C."""

import logging
import sys

from werkzeug.serving import run_simple

from dashboard import settings
from dashboard.server import Dashboard, chart_library
from infra import settings as shop_settings


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per refresh
    app = Dashboard(charts=chart_library())
    app.collector.start()
    app.collector.watch()  # read once at start, so the first page has something to show
    print(
        f"==> dashboard on http://{settings.HOST}:{settings.PORT}/ (LocalStack at {shop_settings.ENDPOINT_URL}); Ctrl-C stops it",
        flush=True,
    )
    try:
        run_simple(settings.HOST, settings.PORT, app, threaded=True, use_reloader=False)
    except OSError as e:
        print(
            f"cannot serve on {settings.HOST}:{settings.PORT} ({e}): set DASHBOARD_PORT to a free port", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
