"""Starting the embedded LocalStack (``make up``): a fresh one, or the ready hooks again on a running one,
and waiting until its init hooks have run."""

import subprocess
import sys
import time

import psutil

from embedded_localstack import settings
from embedded_localstack.executor import instrumentation
from embedded_localstack.lifecycle import hook_state, process_start, reaper
from embedded_localstack.lifecycle.hook_state import failed_hooks
from embedded_localstack.lifecycle.instance import LISTEN_ALL_OPT_IN, PROJECT_DIR, Instance, port_in_use, tail
from embedded_localstack.lifecycle.stop import stop
from embedded_localstack.patches import catalog_cache

# LocalStack's log is looked at this often while `up` waits; LocalStack itself is asked at least this often.
LOOK_EVERY_SECONDS = 0.02
ASK_EVERY_SECONDS = 0.5
READY_LINE = b"Ready."
READ_AT_MOST_BYTES = (
    1 << 20
)  # of the log at one look (what is left is read at the next)  # localstack.constants.READY_MARKER_OUTPUT (not imported: `up` imports little)


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
            if wait_ready(instance, running, timeout, fix="`make down && make up`", log_from_end=True) != 0:
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
    for setting in settings.READ_BY_LOCALSTACK:  # a bad one fails here, not at a function's first start
        setting.read(environment)
    if environment["GATEWAY_LISTEN"].startswith("0.0.0.0"):
        print(
            f"WARNING: {LISTEN_ALL_OPT_IN}=1: LocalStack listens on every interface. Anyone who can reach "
            f"port {instance.port} can create functions and run code as {settings.USER.read()}.",
            file=sys.stderr,
        )
    print(f"starting embedded LocalStack on {instance.url} (log: {instance.log_file})")
    with open(instance.log_file, "wb") as log:
        command = [sys.executable, "-m", "localstack.runtime.main"]
        popen = subprocess.Popen(
            command,
            env=environment,
            cwd=instance.state_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # not in the group of the shell that ran `make up`
        )
    process = psutil.Process(popen.pid)
    instance.record(process.pid, command)
    # Kills the function processes if LocalStack dies without `make down` (SIGKILL, OOM killer).
    subprocess.Popen(
        [
            sys.executable,
            "-m",
            "embedded_localstack.lifecycle.reaper",
            str(process.pid),
            repr(process_start.start_of(process.pid)),
            instance.id,
        ],
        env={"PATH": settings.PATH.read()},
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


def wait_ready(
    instance: Instance,
    process: psutil.Process,
    timeout: float,
    fix: str = "`make up` again",
    log_from_end: bool = False,
) -> int:
    """0 once LocalStack's ready hooks have run, 1 (and why, on stderr) if one failed, LocalStack ended or
    the timeout passed. `log_from_end`: LocalStack has been running, and its log so far is not read."""
    started = time.monotonic()
    deadline = started + timeout
    status = None
    log = _ReadyLine(instance.log_file, from_end=log_from_end)
    asked = None
    while time.monotonic() < deadline:
        if not _alive(process):
            print(
                f"embedded LocalStack exited during start-up; last log lines:\n{tail(instance.log_file, 40)}",
                file=sys.stderr,
            )
            return 1
        # LocalStack is asked at once, whenever its log says it is ready, and otherwise every
        # ASK_EVERY_SECONDS: each question is a request on the core its ready hooks are using.
        if asked is None or log.seen() or time.monotonic() - asked >= ASK_EVERY_SECONDS:
            asked = time.monotonic()
            status = instance.init_status()
            if status and (status.get("completed") or failed_hooks(status)):
                break
        time.sleep(LOOK_EVERY_SECONDS)
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


class _ReadyLine:
    """LocalStack's log, read as it grows, for the line LocalStack prints once its ready hooks have run
    (localstack.constants.READY_MARKER_OUTPUT; LocalStack's own CLI waits for it too)."""

    def __init__(self, path, from_end: bool = False) -> None:
        self.path, self.offset, self.partial = path, 0, b""
        if from_end:
            try:
                self.offset = path.stat().st_size
            except OSError:
                pass

    def seen(self) -> bool:
        """Whether the line was printed since the last look."""
        try:
            with open(self.path, "rb") as log:
                log.seek(self.offset)
                data = log.read(READ_AT_MOST_BYTES)
        except OSError:
            return False
        self.offset += len(data)
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()  # a line still being written
        return READY_LINE in lines


def reapply_ready_hooks(instance: Instance, localstack: psutil.Process) -> int:
    """`make up` on a running instance: the ready hooks again, with the settings of this shell (HOT_RELOAD
    switches the functions between the hot-reload folder and the archives, as README says). LocalStack's
    own hook state cannot tell of this run, so each hook's state is recorded for `status` (hook_state.py)."""
    hooks = sorted(path for path in (instance.init_dir / "ready.d").glob("*") if path.suffix in (".py", ".sh"))
    scripts = [{"stage": hook_state.READY, "name": hook.name, "state": "UNKNOWN"} for hook in hooks]
    identity = process_start.identity(localstack.pid)
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
        assert process.stdout is not None  # stdout=PIPE
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            last = line.strip() or last
    return process.returncode, last


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
