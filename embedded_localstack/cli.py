"""Start, stop and inspect the embedded LocalStack: ``python -m embedded_localstack up|down|status|logs``.

The embedded LocalStack is LocalStack 4.14.0 from PyPI running as a host process, with this
package's two plugins. Its state (pid file, log file, LocalStack's filesystem root) lives in one
state directory, so several instances can run side by side on different ports.
"""

import argparse
import errno
import fcntl
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from embedded_localstack import dynamodb_process, hook_state, instrumentation, reaper, shell_settings
from embedded_localstack.hook_state import failed_hooks
from embedded_localstack.node_majors import is_location_variable
from embedded_localstack.patches import catalog_cache

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHARED_SETTINGS = PROJECT_DIR / "config" / "localstack.env"
STOP_GRACE_SECONDS = 5
# LocalStack gets this long to end on SIGTERM (a log line in flight is written) before SIGKILL.
LOCALSTACK_STOP_GRACE_SECONDS = 0.3
# psutil derives a process's start time from the boot time, which the kernel reports anew on each read
# and which moves when the clock is adjusted: the same process may read a second apart. A pid reused by
# another program also needs the same command line and this instance's marker to pass for ours.
CREATE_TIME_DRIFT_SECONDS = 2
# The gateway runs code for whoever reaches it (create a function, invoke it): loopback only, unless
# the developer says, in these words, that the network may do that too.
LISTEN_ALL_OPT_IN = "EMBEDDED_LISTEN_ALL_INTERFACES_ANYONE_CAN_RUN_CODE"
# What LocalStack's process (and so its init hook, and anything reading /proc/<pid>/environ) gets from
# the developer's shell: nothing else. No AWS credentials, profile or session token, no ALLOW_REAL_AWS
# or AWS_ENDPOINT_URL: the hook must provision this LocalStack, not whatever the shell points at.
# (config/localstack.env's settings are allowed too.)
SHELL_ALLOW_LIST = shell_settings.FROM_SHELL_EMBEDDED


def load_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def shared_settings() -> dict[str, str]:
    """The LocalStack settings both modes start with (a variable set in the shell wins in embedded mode)."""
    return load_env_file(SHARED_SETTINGS)


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
    def id(self) -> str:
        return reaper.instance_id(self.state_dir)

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "localstack.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "localstack.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def listen(self, shell: dict[str, str]) -> str:
        if shell.get(LISTEN_ALL_OPT_IN) == "1":
            return f"0.0.0.0:{self.port},[::]:{self.port}" if _can_bind("::", self.port) else f"0.0.0.0:{self.port}"
        # ::1 as well where the host has IPv6, since `localhost` may resolve to it first.
        return f"127.0.0.1:{self.port},[::1]:{self.port}" if _can_bind("::1", self.port) else f"127.0.0.1:{self.port}"

    def environment(self, shell: dict[str, str] | None = None) -> dict[str, str]:
        """LocalStack's whole environment, which its init hooks inherit: an allow-list of the shell's."""
        shell = dict(os.environ) if shell is None else shell
        settings = load_env_file(SHARED_SETTINGS)
        env = settings | {
            key: value
            for key, value in shell.items()
            if key in SHELL_ALLOW_LIST or key in settings or is_location_variable(key)
        }
        env |= instrumentation.localstack_settings(env)
        home = self.state_dir / "home"
        return env | {
            "SHOP_PROJECT_DIR": env.get("SHOP_PROJECT_DIR") or str(PROJECT_DIR),
            "HOST_PROJECT_DIR": env.get("HOST_PROJECT_DIR") or str(PROJECT_DIR),
            # The hook provisions the LocalStack it runs in, whatever the shell's endpoint settings.
            "LOCALSTACK_PORT": str(self.port),
            "AWS_ENDPOINT_URL": self.url,
            # A home of its own: no ~/.aws credentials or profiles for LocalStack or the hook.
            "HOME": str(home),
            "PYENV_ROOT": shell.get("PYENV_ROOT") or str(Path.home() / ".pyenv"),  # interpreters.py looks there
            "GATEWAY_LISTEN": self.listen(shell),
            "GATEWAY_SERVER": "twisted-listen-host",  # plugins.py: the default server ignores the host
            "LOCALSTACK_HOST": f"127.0.0.1:{self.port}",
            "FILESYSTEM_ROOT": str(self.state_dir / "filesystem"),
            # Where the ready hook records the apps it deploys (embedded_localstack/apps/records.py).
            "EMBEDDED_STATE_DIR": str(self.state_dir),
            # CI runners are often containers themselves; LocalStack would then take this for its own
            # image and use /etc/localstack, /var/lib/localstack instead of FILESYSTEM_ROOT.
            "OVERRIDE_IN_DOCKER": "0",
            "LAMBDA_RUNTIME_EXECUTOR": "local-process",
            "EMBEDDED_LAMBDA_RUNTIME_PACKAGES": str(Path(sys.prefix) / "lambda-runtime"),
            "PROVIDER_OVERRIDE_DYNAMODB": "moto",
            "PROVIDER_OVERRIDE_DYNAMODBSTREAMS": "moto",
            # LocalStack's DNS server would bind port 53 on the host.
            "DNS_ADDRESS": "0",
            # Marks this instance's LocalStack, so that `up` can find one whose pid file was lost.
            reaper.INSTANCE_MARKER: self.id,
        }

    # -- the pid file: identity before signals -----------------------------------------------
    def record(self, process: psutil.Process) -> None:
        identity = {"pid": process.pid, "create_time": process.create_time(), "cmdline": process.cmdline()}
        partial = self.pid_file.with_suffix(".tmp")
        partial.write_text(json.dumps(identity))
        partial.replace(self.pid_file)  # readers never see half a file

    def running(self, remove_stale: bool = True) -> psutil.Process | None:
        """This instance's LocalStack, if the pid file proves it is still that process. A pid file
        that names another process (a pid reused after a crash or reboot) is reported and removed;
        that process is never signalled."""
        try:
            recorded = json.loads(self.pid_file.read_text())
            pid, create_time, cmdline = recorded["pid"], recorded["create_time"], recorded["cmdline"]
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            return self._stale("it does not record a process identity", remove_stale)
        try:
            process = psutil.Process(pid)
            same = (
                abs(process.create_time() - create_time) <= CREATE_TIME_DRIFT_SECONDS
                and process.cmdline() == cmdline
                and self._carries_marker(pid)
            )
            if same and process.status() != psutil.STATUS_ZOMBIE:
                return process
            if same:
                return self._stale(f"pid {pid} has exited", remove_stale)
            return self._stale(f"pid {pid} is now another program ({' '.join(process.cmdline())[:80]!r})", remove_stale)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return self._stale(f"pid {pid} is gone", remove_stale)

    def _carries_marker(self, pid: int) -> bool:
        """Another instance's LocalStack has the same command line: its marker tells them apart."""
        environ = Path(f"/proc/{pid}/environ")
        if not environ.parent.exists():  # no /proc (macOS): start time and command line must do
            return True
        try:
            return f"{reaper.INSTANCE_MARKER}={self.id}".encode() in environ.read_bytes().split(b"\0")
        except OSError:
            return False

    def _stale(self, why: str, remove: bool) -> None:
        print(
            f"stale pid file {self.pid_file}: {why}; {'removed it' if remove else 'left it'}, signalled nothing",
            file=sys.stderr,
        )
        if remove:
            self.pid_file.unlink(missing_ok=True)
        return None

    @contextmanager
    def locked(self, wait: bool = True):
        """Serialises `up` and `down` of this instance. Yields False when wait=False and it is taken."""
        with open(self.state_dir / "lifecycle.lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True

    def init_status(self) -> dict | None:
        try:
            with urllib.request.urlopen(f"{self.url}/_localstack/init/ready", timeout=2) as response:
                return json.load(response)
        except (urllib.error.URLError, OSError, ValueError):
            return None


def _can_bind(host: str, port: int) -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((host, port))
        return True
    except OSError as e:
        if e.errno not in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.EADDRINUSE):
            raise
        return False


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log file)"


def up(instance: Instance, timeout: float) -> int:
    with instance.locked():
        running = instance.running()
        if running:
            print(f"embedded LocalStack already running on {instance.url} (pid {running.pid})")
            if instrumentation.read_ports(instance.state_dir) != instrumentation.debug_ports():
                print(
                    "it was started with other LAMBDA_DEBUG functions, which are chosen at start: "
                    "`make down`, then `LAMBDA_DEBUG=<functions> make up` (or `make debug FN=<function>`)",
                    file=sys.stderr,
                )
                return 1
            if wait_ready(instance, running, timeout, fix="`make down && make up`") != 0:
                return 1
            return reapply_ready_hooks(instance, running)
        return start(instance, timeout)


def start(instance: Instance, timeout: float) -> int:
    # Whatever an earlier run of this instance left (LocalStack killed with its pid file lost, function
    # processes that outlived it): found by this instance's marker only, never another instance's.
    leftovers = reaper.kill_marked(instance.id, localstack=True)
    if leftovers:
        print(f"killed {leftovers} process(es) left behind by an earlier run of this instance")
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
    (instance.state_dir / "home").mkdir(exist_ok=True)
    catalog_cache.seed(instance.state_dir / "filesystem")

    environment = instance.environment()
    if environment["GATEWAY_LISTEN"].startswith("0.0.0.0"):
        print(
            f"WARNING: {LISTEN_ALL_OPT_IN}=1: LocalStack listens on every interface. Anyone who can reach "
            f"port {instance.port} can create functions and run code as {os.environ.get('USER', 'you')}.",
            file=sys.stderr,
        )
    print(f"starting embedded LocalStack on {instance.url} (log: {instance.log_file})")
    with open(instance.log_file, "wb") as log:
        popen = subprocess.Popen(
            [sys.executable, "-m", "localstack.runtime.main"],
            env=environment,
            cwd=instance.state_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # not in the group of the shell that ran `make up`
        )
    process = psutil.Process(popen.pid)
    instance.record(process)
    # Kills the function processes if LocalStack dies without `make down` (SIGKILL, OOM killer).
    subprocess.Popen(
        [
            sys.executable,
            "-m",
            "embedded_localstack.reaper",
            str(process.pid),
            repr(process.create_time()),
            instance.id,
        ],
        env={"PATH": os.environ.get("PATH", "")},
        cwd=PROJECT_DIR,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    debug_ports = instrumentation.debug_ports()
    instrumentation.write_ports(instance.state_dir, debug_ports)
    try:
        if wait_ready(instance, process, timeout) == 0:
            catalog_cache.keep(instance.state_dir / "filesystem")
            for line in instrumentation.describe_ports(debug_ports):
                print(line)
            return 0
    except KeyboardInterrupt:  # Ctrl-C reaches `make up`, not LocalStack, which runs in a session of its own
        print("interrupted", file=sys.stderr)
    # A failed `up` leaves nothing running; the log stays for `make logs`.
    stop(instance, process)
    print(f"stopped the embedded LocalStack again; its log: {instance.log_file}", file=sys.stderr)
    return 1


def wait_ready(instance: Instance, process: psutil.Process, timeout: float, fix: str = "`make up` again") -> int:
    started = time.monotonic()
    deadline = started + timeout
    status = None
    while time.monotonic() < deadline:
        if not _alive(process):
            print(
                f"embedded LocalStack exited during start-up; last log lines:\n{tail(instance.log_file, 40)}",
                file=sys.stderr,
            )
            return 1
        status = instance.init_status()
        if status and (status.get("completed") or failed_hooks(status)):
            break
        time.sleep(0.1)
    else:
        print(f"embedded LocalStack not ready after {timeout:.0f} s (last status: {status})", file=sys.stderr)
        print(tail(instance.log_file, 40), file=sys.stderr)
        return 1
    failed = failed_hooks(status)
    if failed:
        print(
            f"init hooks failed: {', '.join(failed)}\nLocalStack log, last lines:\n{tail(instance.log_file, 60)}",
            file=sys.stderr,
        )
        print(f"fix the hook, then {fix}", file=sys.stderr)
        return 1
    print(f"ready in {time.monotonic() - started:.1f} s: {instance.url}")
    return 0


def reapply_ready_hooks(instance: Instance, localstack: psutil.Process) -> int:
    """`make up` on a running instance: the ready hooks again, with the settings of this shell (HOT_RELOAD
    switches the functions between the hot-reload folder and the archives, as README says). LocalStack's
    own hook state cannot tell of this run, so each hook's state is recorded for `status` (hook_state.py)."""
    hooks = sorted(path for path in (instance.init_dir / "ready.d").glob("*") if path.suffix in (".py", ".sh"))
    scripts = [{"stage": hook_state.READY, "name": hook.name, "state": "UNKNOWN"} for hook in hooks]
    identity = {"pid": localstack.pid, "create_time": localstack.create_time()}
    for hook, script in zip(hooks, scripts, strict=True):
        print(f"re-applying {hook.name}")
        script["state"] = hook_state.RUNNING
        hook_state.record_reapply(instance.state_dir, identity, scripts)
        command = [sys.executable, str(hook)] if hook.suffix == ".py" else ["bash", str(hook)]
        returncode, last_line = _run_showing_output(command, instance)
        if returncode != 0:
            script |= {"state": hook_state.FAILED, "error": last_line or f"exit {returncode}"}
            hook_state.record_reapply(instance.state_dir, identity, scripts)
            print(
                f"init hook ready.d/{hook.name} failed (exit {returncode}): {script['error']}; its output is above",
                file=sys.stderr,
            )
            return 1
        script["state"] = "SUCCESSFUL"
    hook_state.record_reapply(instance.state_dir, identity, scripts)
    print(f"ready: {instance.url}")
    return 0


def _run_showing_output(command: list[str], instance: Instance) -> tuple[int, str]:
    """Runs a hook with its output shown as it comes; returns its exit code and last line of output
    (a Python hook's exception)."""
    last = ""
    with subprocess.Popen(
        command,
        env=instance.environment(),
        cwd=instance.state_dir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            last = line.strip() or last
    return process.returncode, last


def stop(instance: Instance, process: psutil.Process) -> int:
    started = time.monotonic()
    try:
        family = [process, *process.children(recursive=True)]
        process.terminate()
    except psutil.NoSuchProcess:
        family = []
    # LocalStack first, and without waiting for it to shut its services down: it keeps nothing on disk
    # (make down loses its resources either way), and its shutdown took seconds. Once it is gone, each
    # environment's init ends every process of its environment, however detached (environment_init.py),
    # and then exits: so the inits are waited for, not killed, which would leave their environments'
    # processes to the system's init.
    _end([process], grace=LOCALSTACK_STOP_GRACE_SECONDS)
    _end(family)
    reaper.kill_marked(instance.id, localstack=True)  # what an init killed from outside left, by marker
    while port_in_use(instance.port):
        if time.monotonic() > started + 3 * STOP_GRACE_SECONDS:
            print(f"port {instance.port} still in use after stopping pid {process.pid}", file=sys.stderr)
            return 1
        time.sleep(0.05)
    instance.pid_file.unlink(missing_ok=True)
    print(f"stopped embedded LocalStack (pid {process.pid}) in {time.monotonic() - started:.1f} s")
    return 0


def _end(processes: list[psutil.Process], grace: float = STOP_GRACE_SECONDS) -> None:
    """Waits for the processes to exit, SIGKILLs what is left after the grace period."""
    alive = _wait_ended(processes, grace)
    # SIGTERM alone does not always stop LocalStack's host mode.
    for victim in alive:
        try:
            victim.kill()  # psutil checks it is still the same process first
        except psutil.NoSuchProcess:
            pass
    _wait_ended(alive, STOP_GRACE_SECONDS)


def _wait_ended(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Those of the processes still running after `timeout`. A zombie has ended: it holds no port and runs
    nothing, and how soon it is reaped is up to whichever init adopted it (seen: 1.6 s)."""
    deadline = time.monotonic() + timeout
    alive = list(processes)
    while alive:
        alive = [p for p in alive if not _ended(p)]
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    return alive


def _ended(process: psutil.Process) -> bool:
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def down(instance: Instance) -> int:
    with instance.locked():
        process = instance.running()
        if process is None:
            leftovers = reaper.kill_marked(instance.id, localstack=True)
            print(
                f"embedded LocalStack is not running{f'; killed {leftovers} process(es) it left behind' if leftovers else ''}"
            )
            return 0
        return stop(instance, process)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def status(instance: Instance) -> int:
    # Only the holder of the lock may remove a stale pid file: `up` may be writing a new one. Holding it
    # also proves no `up` is re-applying the hooks now.
    with instance.locked(wait=False) as owned:
        process = instance.running(remove_stale=owned)
        if process is None:
            print("embedded LocalStack: not running")
            return 3
        identity = {"pid": process.pid, "create_time": process.create_time()}
        init = hook_state.with_reapply(instance.init_status(), instance.state_dir, identity, applier_gone=owned)
    # The whole log: a hook that failed at start logged its error near the beginning.
    log = _read(instance.log_file) if failed_hooks(init or {}) else ""
    code = hook_state.show(
        f"embedded LocalStack: {{state}} on {instance.url} (pid {process.pid})",
        init,
        hook_state.logged_errors(log),
        "fix the hook, then `make up` (`make logs` shows LocalStack's log)",
    )
    dynamodb = dynamodb_process.problem(instance.state_dir, process)
    if dynamodb:
        print(dynamodb, file=sys.stderr)
        return code or hook_state.STATUS_FAILED
    return code


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m embedded_localstack", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start_command = commands.add_parser("up", help="start in the background and wait until init hooks completed")
    start_command.add_argument("--timeout", type=float, default=120)
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
