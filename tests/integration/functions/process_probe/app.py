"""A function that probes its sandbox: what it can read, which limits it runs under, and processes
that try to outlive it. The event's "action" chooses."""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# HANG_AT_IMPORT=always: every start hangs; =after_crash: starts after a crash hang (a replacement).
_CRASHED = Path(tempfile.gettempdir()) / "crashed-once"
if os.environ.get("HANG_AT_IMPORT") == "always" or (
    os.environ.get("HANG_AT_IMPORT") == "after_crash" and _CRASHED.exists()
):
    while True:
        time.sleep(1)

LIMITS_AT_IMPORT = {
    name: resource.getrlimit(getattr(resource, name)) for name in ("RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_CORE")
}


def _environ_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().replace(b"\0", b"\n").decode(errors="replace")
    except OSError as e:
        return f"unreadable: {e}"


def _spawn_escapees() -> dict:
    # One child in the function's group, and a daemon: forked twice, in a session of its own (setsid),
    # no longer in the function's process tree. Both sleep long.
    plain = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    daemonize = (
        "import os, time\nif os.fork():\n    os._exit(0)\nos.setsid()\nprint(os.getpid(), flush=True)\ntime.sleep(600)"
    )
    middle = subprocess.Popen([sys.executable, "-c", daemonize], stdout=subprocess.PIPE, text=True)
    daemon = int(middle.stdout.readline())
    middle.wait()
    return {"pid": os.getpid(), "children": [plain.pid, daemon]}


# A daemon started each way a child can leave its parent's process tree, group and environment:
# forked twice, the middle one exiting, after setsid, after setpgid, or exec'd through `env -i`.
DETACH = {
    "setsid": ("os.setsid()", []),
    "process_group": ("os.setpgid(0, 0)", []),
    "env_i": ("os.setsid()", ["env", "-i"]),
}


def _detach_every_way() -> dict:
    detached = {}
    for way, (how, prefix) in DETACH.items():
        daemonize = (
            f"import os, time\nif os.fork():\n    os._exit(0)\n{how}\nprint(os.getpid(), flush=True)\ntime.sleep(600)"
        )
        middle = subprocess.Popen([*prefix, sys.executable, "-c", daemonize], stdout=subprocess.PIPE, text=True)
        detached[way] = int(middle.stdout.readline())
        middle.wait()
    return {"pid": os.getpid(), "detached": detached}


# Run in a child that inherits whatever the runtime lets it (close_fds=False): which of its
# descriptors are listening sockets, that it could accept invocations on.
FIND_LISTENERS = """
import json, socket
found = []
for fd in range(3, 1024):
    try:
        candidate = socket.socket(fileno=fd)
    except OSError:
        continue
    try:
        if candidate.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            found.append(fd)
    except OSError:
        pass
    finally:
        candidate.detach()
print(json.dumps(found))
"""


def handler(event, context):
    action = event.get("action")
    if action == "crash":
        _CRASHED.touch()
        os._exit(3)
    if action == "environ":
        return {"own": dict(os.environ), "parent": _environ_of(os.getppid())}
    if action == "limits":
        current = {name: resource.getrlimit(getattr(resource, name)) for name in LIMITS_AT_IMPORT}
        return {"at_import": LIMITS_AT_IMPORT, "in_handler": current}
    if action == "open_files":
        opened = []
        try:
            for _ in range(event["count"]):
                opened.append(open(os.devnull))  # noqa: SIM115 (kept open on purpose: the probe exhausts descriptors)
        except OSError as e:
            return {"opened": len(opened), "error": e.strerror}
        finally:
            for f in opened:
                f.close()
        return {"opened": len(opened), "error": None}
    if action == "spawn":
        return _spawn_escapees()
    if action == "detach":
        return _detach_every_way()
    if action == "inherited_listeners":
        child = subprocess.run([sys.executable, "-c", FIND_LISTENERS], close_fds=False, capture_output=True, text=True)
        return {"pid": os.getpid(), "listeners": json.loads(child.stdout)}
    if action == "fork_bomb":  # processes until the limit stops it; each child waits to be killed
        children = []
        try:
            while len(children) < 5000:
                children.append(subprocess.Popen(["sleep", "30"]))
        except OSError as e:
            return {"started": len(children), "error": e.strerror}
        finally:
            for child in children:
                child.kill()
                child.wait()
        return {"started": len(children), "error": None}
    if action == "sleep":
        time.sleep(event["seconds"])
    return {"pid": os.getpid()}
