"""The dashboard's web server (werkzeug, which LocalStack already brings): server-rendered pages, a few
lines of plain JavaScript that refresh the sections, and a POST to redrive dead letters.

Only the loopback address and the Host names localhost / 127.0.0.1 are answered (a page on another
site that rebinds its own name to 127.0.0.1 is refused), and a POST must carry the page's token and
come from the page's own origin, so another site open in the same browser cannot move messages."""

import fcntl
import hmac
import json
import secrets
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.exceptions import BadRequest, Forbidden, HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect, safe_join
from werkzeug.wrappers import Request, Response

from bench import history
from client import dead_letters
from client.checkout_trace import trace
from client.queues import Queues
from dashboard import settings
from dashboard.environment import Collector
from dashboard.waterfall import build

HERE = Path(__file__).parent
STATIC = HERE / "static"
CHART_FILES = {"uPlot.iife.min.js": "dist/uPlot.iife.min.js", "uPlot.min.css": "dist/uPlot.min.css"}
SECURITY_HEADERS = {
    # No inline script or style at all: even markup that slipped through escaping could not run.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # with no-referrer, a form POST carries Origin: null
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def chart_library() -> Path | None:
    """uPlot from dashboard/package-lock.json, installed with npm into build/dashboard on first use
    (under a lock: `npm ci` empties node_modules first, and test workers may start together)."""
    installed = settings.ASSETS_DIR / "node_modules" / "uplot"
    lock = HERE / "package-lock.json"
    stamp = settings.ASSETS_DIR / "package-lock.json"
    settings.ASSETS_DIR.mkdir(parents=True, exist_ok=True)
    with open(settings.ASSETS_DIR / ".npm-ci.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if installed.exists() and stamp.exists() and stamp.read_bytes() == lock.read_bytes():
            return installed
        if shutil.which("npm") is None:
            return None
        shutil.copy(HERE / "package.json", settings.ASSETS_DIR / "package.json")
        shutil.copy(lock, stamp)  # npm ci installs from it; equal to the source's once installed
        done = subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=settings.ASSETS_DIR,
            input="",
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not installed.exists():
            print(f"installing the chart library failed (charts left out): {done.stderr[-500:]}", file=sys.stderr)
            return None
        return installed


class Dashboard:
    def __init__(self, collector: Collector | None = None, port: int = settings.PORT, charts: Path | None = None):
        """charts: the installed chart library (chart_library()); None leaves the charts out."""
        self.port = port
        self.collector = collector or Collector()
        self.token = secrets.token_urlsafe(32)
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True)
        )
        self.charts = charts
        self.redrive_lock = threading.Lock()
        self.urls = Map(
            [
                Rule("/", endpoint="page", methods=["GET"]),
                Rule("/sections", endpoint="sections", methods=["GET"]),
                Rule("/bench.json", endpoint="bench", methods=["GET"]),
                Rule("/stats.json", endpoint="stats", methods=["GET"]),
                Rule("/redrive", endpoint="redrive", methods=["POST"]),
                Rule("/static/<path:name>", endpoint="static", methods=["GET"]),
                Rule("/favicon.ico", endpoint="favicon", methods=["GET"]),
            ]
        )

    # -- the checks every request passes -----------------------------------------------------------
    def check_host(self, request: Request) -> None:
        host = urlsplit(f"//{request.host}").hostname or ""
        if host not in settings.ALLOWED_HOSTS:
            raise BadRequest(f"unknown Host {request.host!r}: open http://{settings.HOST}:{self.port}/")

    def check_same_origin(self, request: Request) -> None:
        """A state-changing request comes from this page: its own origin, and the token it was given."""
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None and site not in ("same-origin", "none"):
            raise Forbidden(f"refused a cross-site request (Sec-Fetch-Site: {site})")
        origin = request.headers.get("Origin")
        allowed = {f"http://{host}:{self.port}" for host in settings.ALLOWED_HOSTS}
        if origin is not None and origin not in allowed:
            raise Forbidden(f"refused a request from another origin ({origin})")
        if not hmac.compare_digest(request.form.get("token", ""), self.token):
            raise Forbidden("refused: the page's token is missing or stale; reload the dashboard")

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            self.check_host(request)
            endpoint, values = self.urls.bind_to_environ(environ).match()
            response = getattr(self, "on_" + endpoint)(request, **values)
        except HTTPException as e:
            response = Response(f"{e.code} {e.name}: {e.description}\n", e.code, mimetype="text/plain")
            if isinstance(e, MethodNotAllowed):
                response.headers["Allow"] = ", ".join(e.valid_methods or [])
        response.headers.update(SECURITY_HEADERS)
        return response(environ, start_response)

    # -- pages -------------------------------------------------------------------------------------
    def render(self, template: str, **context) -> str:
        return self.templates.get_template(template).render(
            token=self.token, refresh_ms=settings.REFRESH_SECONDS * 1000, charts=bool(self.charts), **context
        )

    def sections(self) -> dict[str, str]:
        view = self.collector.view()
        return {
            "status": self.render("status.html", view=view),
            "resources": self.render("resources.html", view=view),
            "dead-letters": self.render("dead_letters.html", view=view),
        }

    def on_page(self, request: Request) -> Response:
        self.collector.watch(loaded=True)
        wanted = request.args.get("trace", "").strip()[:200]
        waterfall, trace_problem = None, ""
        if wanted:
            try:
                waterfall = build(trace(wanted))
            except Exception as e:  # LocalStack down, a log group missing: say so where the picture would be
                trace_problem = f"could not read the logs: {e}"
        notice = request.args.get("notice", "")[:300]
        html = self.render(
            "page.html",
            sections=self.sections(),
            wanted=wanted,
            waterfall=waterfall,
            trace_problem=trace_problem,
            notice=notice,
        )
        return Response(html, mimetype="text/html")

    def on_sections(self, request: Request) -> Response:
        self.collector.watch()
        return Response(json.dumps(self.sections()), mimetype="application/json")

    def on_bench(self, request: Request) -> Response:
        return Response(json.dumps(history.runs()), mimetype="application/json")

    def on_stats(self, request: Request) -> Response:
        """What the collector has cost LocalStack so far (make bench reads it)."""
        view = self.collector.view()
        stats = {"requests_sent": self.collector.budget.sent, "functions": len(view.functions), "up": view.up}
        return Response(json.dumps(stats), mimetype="application/json")

    def on_static(self, request: Request, name: str) -> Response:
        if name.startswith("vendor/"):
            relative = CHART_FILES.get(name.removeprefix("vendor/"))
            path = self.charts / relative if (relative and self.charts) else None
        else:
            path = Path(safe_join(str(STATIC), name) or "")
        if not path or not path.is_file():
            raise NotFound()
        kinds = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
        return Response(path.read_bytes(), mimetype=kinds.get(path.suffix, "application/octet-stream"))

    def on_favicon(self, request: Request) -> Response:
        return Response(status=204)

    def on_redrive(self, request: Request) -> Response:
        self.check_same_origin(request)
        queue, message_id = request.form.get("queue", ""), request.form.get("message", "")
        view = self.collector.view()
        entry = view.dead_letters.get(queue)
        if not entry or not entry.get("source"):
            raise BadRequest(f"{queue!r} is not a dead-letter queue with a source to redrive to")
        with self.redrive_lock:
            queues = Queues()
            if message_id:
                moved = dead_letters.move_one(queues, queue, entry["source"], message_id)
                notice = (
                    f"moved message {message_id} back to {entry['source']}"
                    if moved
                    else f"message {message_id} is no longer in {queue}"
                )
            else:
                count = dead_letters.redrive(queues, queue, entry["source"])
                notice = f"moved {count} message(s) from {queue} back to {entry['source']}"
        if ("queue", queue) in self.collector.due:
            self.collector.due[("queue", queue)] = 0  # read its count again first
        return redirect("/?" + urlencode({"notice": notice}) + "#dead-letters", code=303)
