"""Brokers as private processes: own temporary data directory, loopback ports chosen at
run time, a ready check, stopped by PID (also on Ctrl-C or an exception: use them as
context managers), and a record of what ran (version, flags, CPU, data filesystem).

A broker that cannot start raises :class:`commbench.messaging.Unsupported` with one line
(the missing binary, or the last line of the broker's own log). A broker is started
once and can then be SIGKILLed and restarted on the same port and data directory, or
SIGSTOPped and continued: that is what the crash matrix does to it.

Registry: :data:`BROKERS`, broker name -> class.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from commbench.cleanup import owned_tempdir, record_pid
from commbench.messaging import Unsupported

READY_TIMEOUT_S = 30.0
STOP_GRACE_S = 10.0


def ephemeral_low() -> int:
    """The lowest port the kernel hands out to outgoing connections."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(attempts: int = 200) -> int:
    """A loopback TCP port free now, below the ephemeral range; kept for restarts.

    Below the ephemeral range because a client reconnecting in a loop to a broker that
    is down can be given the broker's own port as its source port and connect to
    itself (TCP self-connect); the broker then cannot listen again (seen: RabbitMQ's
    restart failed with eaddrinuse). Random candidates, each checked by binding it.
    """
    low = ephemeral_low()
    floor = max(1024, low // 3)
    for _ in range(attempts):
        port = random.randrange(floor, low) if low > floor else 0
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    with socket.socket() as sock:  # a machine without a free low port: let the OS choose
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def filesystem_of(path: str | os.PathLike[str], mountinfo: str | None = None) -> str:
    """The filesystem type under *path*: the longest mount point that contains it."""
    if mountinfo is None:
        mountinfo = Path("/proc/self/mountinfo").read_text()
    target = os.path.realpath(path)
    best, fstype = "", "unknown"
    for line in mountinfo.splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        mount = fields[4].replace("\\040", " ")
        after = line.split(" - ", 1)[1].split()
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best):
            best, fstype = mount, after[0]
    return fstype


def _child_setup(cpu: int | None) -> Callable[[], None]:
    """In the child before exec: die with the parent (PR_SET_PDEATHSIG) and pin the CPU."""

    def setup() -> None:
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})

    return setup


def _wait(check: Callable[[], bool], alive: Callable[[], bool], timeout_s: float) -> bool:
    """Poll *check* until it is true (True), the process died or time is up (False)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive():
            return False
        with contextlib.suppress(OSError):
            if check():
                return True
        time.sleep(0.05)
    return False


def _tcp_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.create_connection((host, port), timeout=1.0):
        return True


class Broker:
    """One broker process. Subclasses fill in the command, the ready check, the version."""

    name: ClassVar[str] = ""
    binary: ClassVar[str] = ""

    def __init__(
        self, options: dict[str, Any] | None = None, cpu: int | None = None, root: str | None = None
    ) -> None:
        self.options = dict(options or {})
        self.cpu = cpu
        self.root = root
        self.dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.version = "unknown"
        self.starts = 0
        self._log: Any = None
        self.layer: Any = None  # the power-cut FUSE layer under data_dir, if asked for

    # ---------------------------------------------------------------- subclass hooks
    def executable(self) -> str:
        found = shutil.which(self.binary) or _venv_binary(self.binary)
        if not found:
            raise Unsupported(f"{self.name}: {self.binary} not found (see README: brokers)")
        return found

    def prepare(self) -> None:
        """Write config files into self.dir, choose ports (first start only)."""

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def ready(self) -> bool:
        return _tcp_open(self.port, self.host)

    def read_version(self) -> str:
        return "unknown"

    def flags(self) -> dict[str, Any]:
        return {}

    @property
    def host(self) -> str:
        """The address the broker listens on: loopback unless option ``host`` (a LAN peer,
        :mod:`commbench.messaging.remote`) says otherwise."""
        return str(self.options.get("host") or "127.0.0.1")

    @property
    def url(self) -> str:
        return f"{self.host}:{self.port}"

    # ---------------------------------------------------------------- life cycle
    @property
    def data_dir(self) -> Path:
        assert self.dir is not None
        return self.dir / "data"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> Broker:
        """Start (or restart after a kill) and wait until ready; Unsupported if it cannot."""
        executable = self.executable()
        self._close_log()
        if self.dir is None:
            self.dir = _data_root(self.name, self.root)
            self.data_dir.mkdir()
            self.prepare()
        self._start_layer()
        self._log = open(self.dir / "broker.log", "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [executable, *self.command()[1:]],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.environment(),
            cwd=self.dir,
            preexec_fn=_child_setup(self.cpu),
        )
        record_pid(self.process.pid)
        self.starts += 1
        if not _wait(self.ready, self.alive, READY_TIMEOUT_S):
            reason = self._failure()
            self.close()
            raise Unsupported(f"{self.name}: {reason}")
        if self.starts == 1:
            with contextlib.suppress(OSError, ValueError):
                self.version = self.read_version()
        return self

    def _start_layer(self) -> None:
        """With option ``powercut``: serve data_dir through the FUSE layer (again after a cut)."""
        if not self.options.get("powercut"):
            return
        from commbench.messaging.powercut import PowerCutLayer

        assert self.dir is not None
        if self.layer is None:
            self.layer = PowerCutLayer(self.data_dir, self.dir / "backing")
        if self.layer.process is None or self.layer.process.poll() is not None:
            try:
                self.layer.start()
            except Unsupported as exc:
                raise Unsupported(f"{self.name}: {exc}") from None

    def settle(self) -> int:
        """Before a power-cut stream: what the broker wrote so far (its start, the queue
        the consumer declared) reaches the disk, as the kernel's periodic writeback would
        have done for a broker that has been up a while. Returns the files written back."""
        return self.layer.writeback() if self.layer is not None else 0

    def power_cut(self) -> None:
        """Broker and disk cache lose power together: SIGKILL, then drop unsynced writes."""
        self.kill()
        if self.layer is not None:
            self.layer.cut()

    def _failure(self) -> str:
        status = self.process.poll() if self.process else None
        what = (
            f"exited with status {status} at start"
            if status is not None
            else f"not ready in {READY_TIMEOUT_S:.0f} s"
        )
        last = self.log_tail()
        return f"{what}: {last}" if last else what

    def log_tail(self) -> str:
        if self.dir is None or not (self.dir / "broker.log").exists():
            return ""
        lines = (self.dir / "broker.log").read_bytes().decode(errors="replace").splitlines()
        lines = [x.strip() for x in lines if x.strip()]
        return lines[-1][:300] if lines else ""

    def kill(self) -> None:
        """SIGKILL the broker by its PID (a crash: nothing is flushed)."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()

    def pause(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        """After :meth:`kill`: the same broker again, same port and data directory."""
        self.kill()
        self._close_log()
        self.start()

    def terminate(self) -> None:
        """End the process by its PID: SIGTERM (SIGCONT first), SIGKILL after a grace."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def close(self) -> None:
        """Stop the broker and remove its directory. Safe to call twice."""
        try:
            self.terminate()
        finally:
            self._close_log()
            self.after_stop()
            if self.layer is not None:
                self.layer.stop()
                self.layer = None
            if self.dir is not None:
                shutil.rmtree(self.dir, ignore_errors=True)
                self.dir = None

    def after_stop(self) -> None:
        """Helpers the broker started (Erlang's epmd) are ended here."""

    def info(self) -> dict[str, Any]:
        """What ran: for the result row (no PIDs: they differ every run)."""
        fstype = filesystem_of(self.data_dir) if self.dir else "unknown"
        return {
            "broker": self.name,
            "broker_version": self.version,
            "broker_flags": self.flags(),
            "broker_cpu": self.cpu,
            "data_fs": fstype,
            "data_on_tmpfs": fstype == "tmpfs",
            "powercut_layer": bool(self.options.get("powercut")),
            "broker_host": self.host,
        }

    def __enter__(self) -> Broker:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()


def _data_root(name: str, root: str | None) -> Path:
    """The broker's own temporary directory: swept by the next run if this one dies."""
    if root is None:
        return owned_tempdir(name)
    return Path(tempfile.mkdtemp(prefix=f"commbench-{os.getpid()}-{name}-", dir=root))


def _venv_binary(name: str) -> str | None:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else None


# -------------------------------------------------------------------- NATS
class NatsBroker(Broker):
    """nats-server: core NATS, and JetStream file storage when ``jetstream`` is set.

    Options: ``jetstream`` (bool), ``sync_interval`` ("always" or a duration; None =
    the server's default, which acknowledges before fsync).
    """

    name = "nats"
    binary = "nats-server"

    def prepare(self) -> None:
        self.port, self.monitor_port = free_port(), free_port()
        lines = [f"host: {self.host}", f"port: {self.port}", f"http: 127.0.0.1:{self.monitor_port}"]
        if self.options.get("jetstream"):
            sync = self.options.get("sync_interval")
            sync_line = f", sync_interval: {sync}" if sync else ""
            lines.append(f'jetstream {{ store_dir: "{self.data_dir}"{sync_line} }}')
        assert self.dir is not None
        (self.dir / "nats.conf").write_text("\n".join(lines) + "\n")

    def command(self) -> list[str]:
        assert self.dir is not None
        return [self.binary, "-c", str(self.dir / "nats.conf")]

    def ready(self) -> bool:
        query = "?js-enabled-only=true" if self.options.get("jetstream") else ""
        url = f"http://127.0.0.1:{self.monitor_port}/healthz{query}"
        with urllib.request.urlopen(url, timeout=1.0) as response:
            return json.loads(response.read()).get("status") == "ok"

    def read_version(self) -> str:
        with socket.create_connection((self.host, self.port), timeout=2.0) as sock:
            line = sock.makefile("rb").readline().decode()
        return json.loads(line.split(" ", 1)[1])["version"]

    def flags(self) -> dict[str, Any]:
        if not self.options.get("jetstream"):
            return {"jetstream": False}
        return {
            "jetstream": True,
            "store": "file",
            "sync_interval": self.options.get("sync_interval") or "default",
        }

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"


# -------------------------------------------------------------------- Redis
class RedisBroker(Broker):
    """redis-server with the append-only file; option ``appendfsync``: no|everysec|always."""

    name = "redis"
    binary = "redis-server"

    def prepare(self) -> None:
        self.port = free_port()

    def command(self) -> list[str]:
        aof = ["--appendonly", "no"]
        if self.options.get("appendonly", True):
            aof = [
                "--appendonly",
                "yes",
                "--appendfsync",
                self.options.get("appendfsync", "everysec"),
            ]
        return [
            self.binary,
            "--port", str(self.port),
            "--bind", self.host,
            "--dir", str(self.data_dir),
            "--save", "",
            *aof,
        ]  # fmt: skip

    def _ask(self, *words: str) -> bytes:
        request = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
        with socket.create_connection((self.host, self.port), timeout=1.0) as sock:
            sock.sendall(request.encode())
            data = b""
            deadline = time.monotonic() + 2.0
            while not data.endswith(b"\r\n") and time.monotonic() < deadline:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            if data.startswith(b"$"):  # bulk string: read to its length
                size = int(data[1 : data.index(b"\r\n")])
                while len(data) < size + len(str(size)) + 5 and time.monotonic() < deadline:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        return data

    def ready(self) -> bool:
        return self._ask("PING").startswith(b"+PONG")  # -LOADING while the AOF replays

    def read_version(self) -> str:
        for line in self._ask("INFO", "server").decode().splitlines():
            if line.startswith("redis_version:"):
                return line.split(":", 1)[1].strip()
        return "unknown"

    def flags(self) -> dict[str, Any]:
        if not self.options.get("appendonly", True):
            return {"appendonly": False, "save": ""}
        return {"appendonly": True, "appendfsync": self.options.get("appendfsync", "everysec")}

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}"


# -------------------------------------------------------------------- MQTT
class MosquittoBroker(Broker):
    """mosquitto with persistence on (saved at autosave_interval and at shutdown)."""

    name = "mosquitto"
    binary = "mosquitto"

    def prepare(self) -> None:
        self.port = free_port()
        assert self.dir is not None
        (self.dir / "mosquitto.conf").write_text(
            f"listener {self.port} {self.host}\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {self.data_dir}/\n"
            "max_queued_messages 0\n"  # no limit: an offline session keeps everything
            "max_inflight_messages 0\n"
            "log_dest stdout\n"
        )

    def command(self) -> list[str]:
        assert self.dir is not None
        return [self.binary, "-c", str(self.dir / "mosquitto.conf")]

    def read_version(self) -> str:
        out = subprocess.run(
            [self.executable(), "-h"], capture_output=True, text=True, timeout=5, check=False
        ).stdout
        first = out.splitlines()[0] if out else ""
        return first.rsplit(" ", 1)[-1] if "version" in first else "unknown"

    def flags(self) -> dict[str, Any]:
        return {"persistence": True, "autosave_interval_s": 1800, "max_queued_messages": 0}


# -------------------------------------------------------------------- RabbitMQ
ERLANG_NO_BUSY_WAIT = "+sbwt none +sbwtdcpu none +sbwtdio none"


class RabbitBroker(Broker):
    """rabbitmq-server as a private node, with its own epmd on a private port.

    The epmd is started by us (foreground, our child) before the node, so the node
    finds it and does not daemonize one that would outlive it; it is ended by its PID.
    """

    name = "rabbitmq"
    binary = "/usr/lib/rabbitmq/bin/rabbitmq-server"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.epmd: subprocess.Popen[bytes] | None = None

    def executable(self) -> str:
        if not Path(self.binary).exists():
            raise Unsupported(f"{self.name}: {self.binary} not found (see README: brokers)")
        if not shutil.which("epmd") and not list(Path("/usr/lib/erlang").glob("erts-*/bin/epmd")):
            raise Unsupported(f"{self.name}: epmd not found")
        return self.binary

    def prepare(self) -> None:
        self.port, self.dist_port, self.epmd_port = free_port(), free_port(), free_port()
        self.node = f"commbench{self.port}@localhost"
        assert self.dir is not None
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "log").mkdir()

    def _epmd_binary(self) -> str:
        found = shutil.which("epmd")
        return found or str(next(Path("/usr/lib/erlang").glob("erts-*/bin/epmd")))

    def start(self) -> Broker:
        self.executable()
        if self.dir is None:
            self.dir = _data_root(self.name, self.root)
            self.data_dir.mkdir()
            self.prepare()
        if self.epmd is None or self.epmd.poll() is not None:
            self.epmd = subprocess.Popen(
                [self._epmd_binary(), "-port", str(self.epmd_port), "-address", "127.0.0.1"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=_child_setup(self.cpu),
            )
            record_pid(self.epmd.pid)
            if not _wait(lambda: _tcp_open(self.epmd_port), lambda: self.epmd.poll() is None, 5):
                raise Unsupported(f"{self.name}: epmd did not start on port {self.epmd_port}")
        return super().start()

    def environment(self) -> dict[str, str]:
        assert self.dir is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")}
        env.update(
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            ERL_EPMD_PORT=str(self.epmd_port),
            ERL_EPMD_ADDRESS="127.0.0.1",
            RABBITMQ_MNESIA_BASE=str(self.data_dir),
            RABBITMQ_LOG_BASE=str(self.dir / "log"),
            RABBITMQ_PID_FILE=str(self.dir / "rabbit.pid"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.dir / "enabled_plugins"),
            RABBITMQ_CONFIG_FILE=str(self.dir / "rabbitmq"),  # absent: defaults
            RABBITMQ_ADVANCED_CONFIG_FILE=str(self.dir / "advanced.config"),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=ERLANG_NO_BUSY_WAIT,
            # exec erl directly (no signal-forwarding shell): our PID is the VM's
            RABBITMQ_ALLOW_INPUT="1",
            RABBITMQ_SERVER_START_ARGS="-noinput -start_epmd false",
            HOME=str(self.dir),
        )
        return env

    def command(self) -> list[str]:
        return [self.binary]

    def ready(self) -> bool:
        return self._amqp_start() is not None

    def _amqp_start(self) -> bytes | None:
        """The broker's Connection.Start frame (it is up and speaks AMQP), or None."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as sock:
            sock.sendall(b"AMQP\x00\x00\x09\x01")
            data = b""
            deadline = time.monotonic() + 2.0
            while len(data) < 7 and time.monotonic() < deadline:
                chunk = sock.recv(4096)
                if not chunk:
                    return None
                data += chunk
            size = int.from_bytes(data[3:7], "big")
            while len(data) < size + 8 and time.monotonic() < deadline:
                chunk = sock.recv(4096)
                if not chunk:
                    return None
                data += chunk
        return data if data[:1] == b"\x01" else None

    def read_version(self) -> str:
        frame = self._amqp_start() or b""
        at = frame.find(b"\x07versionS")
        if at < 0:
            return "unknown"
        size = int.from_bytes(frame[at + 9 : at + 13], "big")
        return frame[at + 13 : at + 13 + size].decode()

    def after_stop(self) -> None:
        if self.epmd is not None and self.epmd.poll() is None:
            self.epmd.terminate()
            try:
                self.epmd.wait(5)
            except subprocess.TimeoutExpired:
                self.epmd.kill()
                self.epmd.wait()
        self.epmd = None

    def flags(self) -> dict[str, Any]:
        return {"erl_args": ERLANG_NO_BUSY_WAIT, "plugins": []}

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"


BROKERS: dict[str, type[Broker]] = {
    "nats": NatsBroker,
    "redis": RedisBroker,
    "mosquitto": MosquittoBroker,
    "rabbitmq": RabbitBroker,
}
"""Broker name -> class; a broker is one class here."""


@contextlib.contextmanager
def running(
    name: str, options: dict[str, Any] | None = None, cpu: int | None = None
) -> Iterator[Broker]:
    """Start broker *name*; stopped and its directory removed on exit, whatever happens."""
    broker = BROKERS[name](options, cpu)
    with broker:
        yield broker
