"""One embedded LocalStack: its port, its state directory (pid file, log file, LocalStack's filesystem
root) and the environment it starts with, so that several instances can run side by side on different
ports. The pid file proves which process is this instance's before anything signals it.
"""

import errno
import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from embedded_localstack import settings
from embedded_localstack.executor import instrumentation
from embedded_localstack.lifecycle import process_start, reaper, shell_settings
from embedded_localstack.runtimes.node_majors import is_location_variable

PROJECT_DIR = Path(__file__).resolve().parents[2]
SHARED_SETTINGS = PROJECT_DIR / "config" / "localstack.env"
# The gateway runs code for whoever reaches it (create a function, invoke it): loopback only, unless
# the developer says, in these words, that the network may do that too.
LISTEN_ALL_OPT_IN = settings.LISTEN_ALL_INTERFACES.name
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
        try:
            return cls(
                port=settings.LOCALSTACK_PORT.read(),
                state_dir=settings.EMBEDDED_STATE_DIR.read().resolve(),
                init_dir=settings.LOCALSTACK_INIT_DIR.read().resolve(),
            )
        except settings.SettingError as e:
            sys.exit(str(e))

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
        if settings.LISTEN_ALL_INTERFACES.read(shell):
            return f"0.0.0.0:{self.port},[::]:{self.port}" if _can_bind("::", self.port) else f"0.0.0.0:{self.port}"
        # ::1 as well where the host has IPv6, since `localhost` may resolve to it first.
        return f"127.0.0.1:{self.port},[::1]:{self.port}" if _can_bind("::1", self.port) else f"127.0.0.1:{self.port}"

    def environment(self, shell: dict[str, str] | None = None) -> dict[str, str]:
        """LocalStack's whole environment, which its init hooks inherit: an allow-list of the shell's."""
        shell = dict(os.environ) if shell is None else shell
        shared = load_env_file(SHARED_SETTINGS)
        env = shared | {
            key: value
            for key, value in shell.items()
            if key in SHELL_ALLOW_LIST or key in shared or is_location_variable(key)
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
            "PYENV_ROOT": str(settings.PYENV_ROOT.read(shell)),  # interpreters.py looks there
            "GATEWAY_LISTEN": self.listen(shell),
            "GATEWAY_SERVER": "loopback-http",  # plugins.py: a thinner server, bound to the host
            "LOCALSTACK_HOST": f"127.0.0.1:{self.port}",
            "FILESYSTEM_ROOT": str(self.state_dir / "filesystem"),
            # Where the ready hook records the apps it deploys (embedded_localstack/apps/records.py).
            "EMBEDDED_STATE_DIR": str(self.state_dir),
            # CI runners are often containers themselves; LocalStack would then take this for its own
            # image and use /etc/localstack, /var/lib/localstack instead of FILESYSTEM_ROOT.
            "OVERRIDE_IN_DOCKER": "0",
            # glibc serves a large block from mmap, and gives it back on free, only above a threshold that
            # it raises to the largest block freed so far (up to 32 MiB): after a function's first large
            # output, its copies came from the heaps and stayed there, fragmented, tens of MB at a time.
            # A fixed threshold keeps every block of 1 MiB or more in its own mapping.
            "MALLOC_MMAP_THRESHOLD_": str(2**20),
            "LAMBDA_RUNTIME_EXECUTOR": "local-process",
            settings.RUNTIME_PACKAGES.name: str(Path(sys.prefix) / "lambda-runtime"),
            "PROVIDER_OVERRIDE_DYNAMODB": "moto",
            "PROVIDER_OVERRIDE_DYNAMODBSTREAMS": "moto",
            # LocalStack's DNS server would bind port 53 on the host.
            "DNS_ADDRESS": "0",
            # Marks this instance's LocalStack, so that `up` can find one whose pid file was lost.
            reaper.INSTANCE_MARKER: self.id,
        }

    # -- the pid file: identity before signals -----------------------------------------------
    def record(self, pid: int, command: list[str]) -> None:
        """The pid file of a process just started with command. The command as started, not as read back:
        the kernel lets the parent go on during exec before it has set the new command line, so on a busy
        machine /proc/<pid>/cmdline may still read empty, and the running LocalStack would later pass for
        another program."""
        identity = process_start.identity(pid) | {"cmdline": command}
        partial = self.pid_file.with_suffix(".tmp")
        partial.write_text(json.dumps(identity))
        partial.replace(self.pid_file)  # readers never see half a file

    def running(self, remove_stale: bool = True) -> psutil.Process | None:
        """This instance's LocalStack, if the pid file proves it is still that process. A pid file
        that names another process (a pid reused after a crash or reboot) is reported and removed;
        that process is never signalled."""
        try:
            recorded = json.loads(self.pid_file.read_text())
            pid, started, cmdline = recorded["pid"], recorded["started"], recorded["cmdline"]
            if type(pid) is not int or pid <= 0:  # a bool is no pid either
                raise TypeError(pid)
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            self._stale("it does not record a process identity", remove_stale)
            return None
        try:
            process = psutil.Process(pid)
            # A pid reused by another program also needs this command line and instance marker to pass.
            differs = [
                what
                for what, same in (
                    ("start", process_start.is_same(started, pid)),
                    ("command line", process.cmdline() == cmdline),
                    ("instance marker", self._carries_marker(pid)),
                )
                if not same
            ]
            if not differs and process.status() != psutil.STATUS_ZOMBIE:
                return process
            why = (
                f"pid {pid} has exited"
                if not differs
                else f"pid {pid} is now another program ({' '.join(process.cmdline())[:80]!r}; "
                f"its {', '.join(differs)} differ)"
            )
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            why = f"pid {pid} is gone"
        self._stale(why, remove_stale)
        return None

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

    @contextmanager
    def locked(self, wait: bool = True) -> Iterator[bool]:
        """Serialises `up` and `down` of this instance. Yields False when wait=False and it is taken."""
        with open(self.state_dir / "lifecycle.lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True

    def log_tail(self, lines: int) -> str:
        """The end of LocalStack's log (``make logs``)."""
        return tail(self.log_file, lines)

    def init_status(self) -> dict | None:
        # Imported here, not at the top: `up` starts LocalStack before it first asks (urllib.request and
        # what it imports were a fifth of the CLI's time before LocalStack's start).
        import urllib.error
        import urllib.request

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
