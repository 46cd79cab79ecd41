"""Start, stop and inspect the embedded LocalStack: ``python -m embedded_localstack up|down|status|logs``.

The embedded LocalStack is LocalStack 4.14.0 from PyPI running as a host process, with this
package's two plugins. Its state (pid file, log file, LocalStack's filesystem root) lives in one
state directory, so several instances can run side by side on different ports.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHARED_SETTINGS = PROJECT_DIR / "config" / "localstack.env"
STOP_GRACE_SECONDS = 5


def load_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


@dataclass(frozen=True)
class Instance:
    port: int
    state_dir: Path
    init_dir: Path

    @classmethod
    def from_env(cls) -> "Instance":
        port = os.environ.get("LOCALSTACK_PORT", "4566")
        if not port.isdigit():
            sys.exit(f"LOCALSTACK_PORT must be a port number, got {port!r}")
        return cls(
            port=int(port),
            state_dir=Path(os.environ.get("EMBEDDED_STATE_DIR") or PROJECT_DIR / ".state").resolve(),
            init_dir=Path(os.environ.get("LOCALSTACK_INIT_DIR") or PROJECT_DIR / "init").resolve(),
        )

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "localstack.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "localstack.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        env = load_env_file(SHARED_SETTINGS) | dict(os.environ)
        return env | {
            "GATEWAY_LISTEN": f"127.0.0.1:{self.port}",
            "LOCALSTACK_HOST": f"127.0.0.1:{self.port}",
            "FILESYSTEM_ROOT": str(self.state_dir / "filesystem"),
            # CI runners are often containers themselves; LocalStack would then take this for its own
            # image and use /etc/localstack, /var/lib/localstack instead of FILESYSTEM_ROOT.
            "OVERRIDE_IN_DOCKER": "0",
            "LAMBDA_RUNTIME_EXECUTOR": "local-process",
            "EMBEDDED_LAMBDA_RUNTIME_PACKAGES": str(Path(sys.prefix) / "lambda-runtime"),
            "PROVIDER_OVERRIDE_DYNAMODB": "moto",
            "PROVIDER_OVERRIDE_DYNAMODBSTREAMS": "moto",
            # LocalStack's DNS server would bind port 53 on the host.
            "DNS_ADDRESS": "0",
        }

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return None
        return pid

    def init_status(self) -> dict | None:
        try:
            with urllib.request.urlopen(f"{self.url}/_localstack/init/ready", timeout=2) as response:
                return json.load(response)
        except (urllib.error.URLError, OSError, ValueError):
            return None


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log file)"


def up(instance: Instance, timeout: float) -> int:
    if instance.pid():
        print(f"embedded LocalStack already running on {instance.url} (pid {instance.pid()})")
        return wait_ready(instance, timeout)
    if port_in_use(instance.port):
        print(
            f"port {instance.port} is already in use by another process; stop it, or pick another port "
            f"with LOCALSTACK_PORT=<port>",
            file=sys.stderr,
        )
        return 1
    init_root = instance.state_dir / "filesystem" / "etc" / "localstack" / "init"
    init_root.parent.mkdir(parents=True, exist_ok=True)
    if init_root.is_symlink() or init_root.exists():
        init_root.unlink()
    # The same hook folder that docker-compose.yml mounts at /etc/localstack/init.
    init_root.symlink_to(instance.init_dir, target_is_directory=True)

    print(f"starting embedded LocalStack on {instance.url} (log: {instance.log_file})")
    with open(instance.log_file, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "localstack.runtime.main"],
            env=instance.environment(),
            cwd=instance.state_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group, which function processes join: `down` can stop them all at once.
            start_new_session=True,
        )
    instance.pid_file.write_text(str(process.pid))
    return wait_ready(instance, timeout)


def wait_ready(instance: Instance, timeout: float) -> int:
    started = time.monotonic()
    deadline = started + timeout
    status = None
    while time.monotonic() < deadline:
        if not instance.pid():
            print(f"embedded LocalStack exited during start-up; last log lines:\n{tail(instance.log_file, 40)}")
            return 1
        status = instance.init_status()
        if status and status.get("completed"):
            break
        time.sleep(0.1)
    else:
        print(f"embedded LocalStack not ready after {timeout:.0f} s (last status: {status})", file=sys.stderr)
        print(tail(instance.log_file, 40), file=sys.stderr)
        return 1
    failed = [script for script in status.get("scripts", []) if script.get("state") != "SUCCESSFUL"]
    if failed:
        names = ", ".join(f"{s.get('name')} ({s.get('state')})" for s in failed)
        print(f"init scripts failed: {names}\nLocalStack log, last lines:\n{tail(instance.log_file, 60)}", file=sys.stderr)
        print("fix the script, then `make down && make up`", file=sys.stderr)
        return 1
    print(f"ready in {time.monotonic() - started:.1f} s: {instance.url}")
    return 0


def down(instance: Instance) -> int:
    pid = instance.pid()
    if pid is None:
        print("embedded LocalStack is not running")
        instance.pid_file.unlink(missing_ok=True)
        return 0
    started = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    deadline = started + STOP_GRACE_SECONDS
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    # SIGTERM alone does not always stop LocalStack's host mode; the group also holds function processes.
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    while _alive(pid) or port_in_use(instance.port):
        if time.monotonic() > deadline + STOP_GRACE_SECONDS:
            print(f"port {instance.port} still in use after stopping pid {pid}", file=sys.stderr)
            return 1
        time.sleep(0.05)
    instance.pid_file.unlink(missing_ok=True)
    print(f"stopped embedded LocalStack (pid {pid}) in {time.monotonic() - started:.1f} s")
    return 0


def _alive(pid: int) -> bool:
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)  # our own child only when started in this process
        if reaped:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except (FileNotFoundError, IndexError):
        return False


def status(instance: Instance) -> int:
    pid = instance.pid()
    if pid is None:
        print("embedded LocalStack: not running")
        return 3
    init = instance.init_status()
    state = "ready" if init and init.get("completed") else "starting"
    print(f"embedded LocalStack: {state} on {instance.url} (pid {pid})")
    for script in (init or {}).get("scripts", []):
        print(f"  init {script.get('stage')} {script.get('name')}: {script.get('state')}")
    return 0 if state == "ready" else 4


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m embedded_localstack", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="start in the background and wait until init hooks completed")
    start.add_argument("--timeout", type=float, default=120)
    commands.add_parser("down", help="stop LocalStack and every function process")
    commands.add_parser("status", help="exit 0 when running and ready")
    logs = commands.add_parser("logs", help="print the end of LocalStack's log")
    logs.add_argument("-n", "--lines", type=int, default=200)
    args = parser.parse_args(argv)

    instance = Instance.from_env()
    instance.state_dir.mkdir(parents=True, exist_ok=True)
    if args.command == "up":
        return up(instance, args.timeout)
    if args.command == "down":
        return down(instance)
    if args.command == "status":
        return status(instance)
    print(tail(instance.log_file, args.lines))
    return 0
