"""A power cut for a broker: a FUSE layer under its data directory that keeps every write
in memory until it is fsynced. Killing the layer's process is the cut: what was not
fsynced is gone, as from a disk whose cache lost power; what was fsynced is in the
backing directory. A process kill (SIGKILL of the broker alone) keeps the page cache,
so it cannot tell ``sync_interval: always`` from the default, nor ``appendfsync always``
from ``no``; this can.

``python -m commbench.messaging.powercut MOUNT BACKING`` serves MOUNT from BACKING in the
foreground (fusepy, one FUSE thread) and prints ``READY`` once mounted; it reads commands
on stdin (``writeback``: answered ``OK <files>``). With the environment variable
``COMMBENCH_POWERCUT_LOG=FILE`` it appends one line per data call (create, open with its
flags, write with offset and length, fsync, rename, ...) and per failed call to FILE.

Model (simplified, stated): data writes are held per file until ``fsync``/``fdatasync``
of that file, except writes through a handle opened (or created) ``O_SYNC``/``O_DSYNC``,
durable when they return; metadata operations (create, mkdir, rename, unlink, truncate,
link, symlink) reach the backing directory at once, as on a journalling filesystem that
orders metadata. The harness calls :meth:`PowerCutLayer.writeback` once the broker is
set up and before the stream starts: what the broker wrote at its start is on the disk,
as it would be after the kernel's periodic writeback; the cut then drops every write
of the stream that was not fsynced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from commbench.messaging import Unsupported


def _operations() -> Any:
    from fuse import FuseOSError, Operations

    class UnsyncedFS(Operations):
        """Passthrough to *backing*, with unsynced writes held in memory per path.

        Served with ``raw_fi=True``: open and create get the open flags (fusepy drops
        them for create otherwise, so a file created ``O_CREAT|O_DSYNC`` was not
        synchronous), and each open gets its own handle that says whether its writes
        are synchronous. Every call holds one mutex: the control thread
        (:meth:`writeback`) runs beside the FUSE loop.
        """

        def __init__(self, backing: str, log: Any = None) -> None:
            self.backing = backing
            self.dirty: dict[str, list[tuple[int, bytes]]] = {}
            self.handles: dict[int, bool] = {}  # open handle -> its writes are synchronous
            self.next_handle = 1
            self.log = log  # a text file: one line per data call (COMMBENCH_POWERCUT_LOG)
            self._mutex = threading.Lock()  # not "lock": fusepy's Operations has lock()

        def __call__(self, op: str, *args: Any) -> Any:
            with self._mutex:
                try:
                    result = super().__call__(op, *args)
                except OSError as exc:
                    if self.log is not None and op not in ("getattr", "access"):
                        self._note(op, args, f"error {errno.errorcode.get(exc.errno, exc.errno)}")
                    raise
                if self.log is not None and op in LOGGED_OPS:
                    self._note(op, args, "")
                return result

        def _note(self, op: str, args: tuple[Any, ...], outcome: str) -> None:
            shown = []
            for arg in args:
                if isinstance(arg, bytes):
                    shown.append(f"len={len(arg)}")
                elif hasattr(arg, "flags") and hasattr(arg, "fh"):
                    shown.append(f"flags={arg.flags:#o} fh={arg.fh}")
                else:
                    shown.append(str(arg))
            print(f"{time.monotonic_ns()} {op} {' '.join(shown)} {outcome}".rstrip(), file=self.log)

        def _real(self, path: str) -> str:
            return os.path.join(self.backing, path.lstrip("/"))

        def _dirty_end(self, path: str) -> int:
            return max((off + len(data) for off, data in self.dirty.get(path, ())), default=0)

        def _apply(self, path: str, sync: bool) -> None:
            extents = self.dirty.pop(path, [])
            if not extents and not sync:
                return
            fd = os.open(self._real(path), os.O_WRONLY)
            try:
                for off, data in extents:
                    os.pwrite(fd, data, off)
                if sync:
                    os.fsync(fd)
            finally:
                os.close(fd)

        def writeback(self) -> int:
            """The kernel's flusher: every held write reaches the disk (no cut drops it).
            Returns the number of files written back; a held file that is gone from the
            backing directory has nothing to write back (its extents are dropped)."""
            with self._mutex:
                paths = list(self.dirty)
                gone = []
                for path in paths:
                    try:
                        self._apply(path, sync=False)
                    except FileNotFoundError:
                        gone.append(path)
                if self.log is not None:
                    print(
                        f"{time.monotonic_ns()} writeback {len(paths)} files, gone {gone}",
                        file=self.log,
                    )
                return len(paths) - len(gone)

        def _handle(self, fi: Any, flags: int) -> int:
            fi.fh = self.next_handle
            self.next_handle += 1
            self.handles[fi.fh] = bool(flags & os.O_DSYNC)  # O_SYNC includes O_DSYNC
            return 0

        # ---- metadata: straight through
        def access(self, path: str, mode: int) -> None:
            if not os.access(self._real(path), mode):
                raise FuseOSError(errno.EACCES)

        def getattr(self, path: str, fh: Any = None) -> dict[str, Any]:
            try:
                st = os.lstat(self._real(path))
            except OSError as exc:
                raise FuseOSError(exc.errno) from None
            attrs = {
                key: getattr(st, key)
                for key in (
                    "st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime",
                    "st_nlink", "st_size", "st_uid",
                )
            }  # fmt: skip
            attrs["st_size"] = max(attrs["st_size"], self._dirty_end(path))
            return attrs

        def readdir(self, path: str, fh: Any) -> list[str]:
            return [".", "..", *os.listdir(self._real(path))]

        def mkdir(self, path: str, mode: int) -> None:
            os.mkdir(self._real(path), mode)

        def rmdir(self, path: str) -> None:
            os.rmdir(self._real(path))

        def unlink(self, path: str) -> None:
            self.dirty.pop(path, None)
            os.unlink(self._real(path))

        def rename(self, old: str, new: str) -> None:
            self.dirty.pop(new, None)
            if old in self.dirty:
                self.dirty[new] = self.dirty.pop(old)
            os.rename(self._real(old), self._real(new))

        def link(self, target: str, source: str) -> None:
            self._apply(source, sync=False)  # one inode, two names: no held data per name
            os.link(self._real(source), self._real(target))

        def symlink(self, target: str, source: str) -> None:
            os.symlink(source, self._real(target))

        def readlink(self, path: str) -> str:
            return os.readlink(self._real(path))

        def chmod(self, path: str, mode: int) -> None:
            os.chmod(self._real(path), mode)

        def chown(self, path: str, uid: int, gid: int) -> None:
            os.chown(self._real(path), uid, gid)

        def utimens(self, path: str, times: Any = None) -> None:
            os.utime(self._real(path), times)

        def statfs(self, path: str) -> dict[str, Any]:
            st = os.statvfs(self._real(path))
            return {
                key: getattr(st, key)
                for key in (
                    "f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail",
                    "f_ffree", "f_files", "f_flag", "f_frsize", "f_namemax",
                )
            }  # fmt: skip

        def truncate(self, path: str, length: int, fh: Any = None) -> None:
            self._apply(path, sync=False)  # order: writes before the truncate
            os.truncate(self._real(path), length)

        # ---- data: held until fsync
        def create(self, path: str, mode: int, fi: Any) -> int:
            self.dirty.pop(path, None)
            os.close(os.open(self._real(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode))
            return self._handle(fi, fi.flags)

        def open(self, path: str, fi: Any) -> int:
            if fi.flags & os.O_TRUNC:
                self.truncate(path, 0)
            return self._handle(fi, fi.flags)

        def read(self, path: str, size: int, offset: int, fi: Any) -> bytes:
            fd = os.open(self._real(path), os.O_RDONLY)
            try:
                data = bytearray(os.pread(fd, size, offset))
                backing_size = os.fstat(fd).st_size
            finally:
                os.close(fd)
            # A short read is EOF to the kernel, which then shrinks the file's size: bytes
            # between the backing file's end and a held write are a hole, read as zeros
            # (returning short here cut dets files, Mnesia's schema among them, short).
            end = min(offset + size, max(backing_size, self._dirty_end(path)))
            if len(data) < end - offset:
                data.extend(b"\x00" * (end - offset - len(data)))
            for off, chunk in self.dirty.get(path, ()):
                lo, hi = max(off, offset), min(off + len(chunk), end)
                if lo < hi:
                    data[lo - offset : hi - offset] = chunk[lo - off : hi - off]
            return bytes(data)

        def write(self, path: str, data: bytes, offset: int, fi: Any) -> int:
            self.dirty.setdefault(path, []).append((offset, bytes(data)))
            if self.handles.get(fi.fh, False):
                self._apply(path, sync=True)
            elif sum(len(d) for _, d in self.dirty[path]) > 64 * 1024 * 1024:
                self._apply(path, sync=False)  # bound memory: an early writeback, unsynced
            return len(data)

        def fsync(self, path: str, datasync: int, fi: Any) -> None:
            self._apply(path, sync=True)

        def flush(self, path: str, fi: Any) -> None:
            return None  # close(2) does not make data durable

        def release(self, path: str, fi: Any) -> None:
            self.handles.pop(fi.fh, None)

        def fsyncdir(self, path: str, datasync: int, fh: Any) -> None:
            return None

    return UnsyncedFS


LOGGED_OPS = frozenset(
    {"create", "open", "read", "write", "fsync", "release", "truncate", "rename", "unlink"}
    | {"link", "symlink", "mkdir"}
)
"""The calls the op log (env ``COMMBENCH_POWERCUT_LOG``) records when they succeed;
every failed call is recorded."""


def _control(ops: Any) -> None:
    """The harness's commands on stdin, one per line: ``writeback`` -> ``OK <files>``."""
    for line in sys.stdin:
        if line.strip() == "writeback":
            try:
                print(f"OK {ops.writeback()}", flush=True)
            except Exception as exc:  # the harness reports it; the thread lives on
                print(f"ERR {type(exc).__name__}: {exc}".replace("\n", " "), flush=True)


def main(argv: list[str] | None = None) -> int:
    mount, backing = (sys.argv[1:] if argv is None else argv)[:2]
    from fuse import FUSE

    from commbench.transports.peerproc import die_with_parent

    die_with_parent()
    pid = os.fork()
    if pid == 0:  # the child reports when the mount answers
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not os.path.ismount(mount):
            time.sleep(0.02)
        print("READY" if os.path.ismount(mount) else "FAILED", flush=True)
        os._exit(0)
    log_path = os.environ.get("COMMBENCH_POWERCUT_LOG")
    log = open(log_path, "a", buffering=1) if log_path else None  # noqa: SIM115 (dies with us)
    ops = _operations()(backing, log)
    threading.Thread(target=_control, args=(ops,), daemon=True).start()
    FUSE(ops, mount, foreground=True, nothreads=True, allow_other=False, raw_fi=True)
    return 0


class PowerCutLayer:
    """The FUSE process over a broker's data directory; :meth:`cut` drops unsynced writes."""

    def __init__(self, mount: Path, backing: Path) -> None:
        self.mount, self.backing = mount, backing
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        try:
            import fuse  # noqa: F401
        except (ImportError, OSError) as exc:
            raise Unsupported(f"power cut: fusepy/libfuse2 not usable: {exc}") from None
        if not Path("/dev/fuse").exists():
            raise Unsupported("power cut: /dev/fuse is missing")
        self.mount.mkdir(exist_ok=True)
        self.backing.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "commbench.messaging.powercut",
                str(self.mount),
                str(self.backing),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith(b"READY"):
            self.stop()
            raise Unsupported("power cut: the FUSE layer did not mount")

    def writeback(self, timeout_s: float = 30.0) -> int:
        """What the kernel's flusher does to a broker that has been up a while: every
        write held so far reaches the disk, fsynced or not; returns the files written.
        Linux writes back dirty pages older than 30 s (``vm.dirty_expire_centisecs``); a
        stream lasts seconds, so without this a cut would also drop what the broker wrote
        at its start, which no disk would still hold after a long run."""
        process = self.process
        if process is None or process.poll() is not None:
            raise Unsupported("power cut: the FUSE layer is not running")
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(b"writeback\n")
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], timeout_s)
        line = process.stdout.readline() if ready else b""
        if not line.startswith(b"OK"):
            said = line.decode(errors="replace").strip() or (
                "it ended" if process.poll() is not None else f"no answer in {timeout_s:g} s"
            )
            raise Unsupported(f"power cut: the FUSE layer did not write back: {said[:200]}")
        return int(line.split()[1])

    def cut(self) -> None:
        """The power cut: SIGKILL the layer (its unsynced writes die with it), unmount."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close_pipes()
        self._unmount()

    def _unmount(self) -> None:
        for tool in ("fusermount", "fusermount3", "umount"):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                args = (
                    [tool, "-u", "-z", str(self.mount)]
                    if tool != "umount"
                    else [tool, "-l", str(self.mount)]
                )
                subprocess.run(args, capture_output=True, timeout=10, check=False)
                if not os.path.ismount(self.mount):
                    return

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_pipes()
        self._unmount()

    def _close_pipes(self) -> None:
        if self.process is not None:
            for pipe in (self.process.stdin, self.process.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()


if __name__ == "__main__":
    sys.exit(main())
