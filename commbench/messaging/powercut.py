"""A power cut for a broker: a FUSE layer under its data directory that keeps every write
in memory until it is fsynced. Killing the layer's process is the cut: what was not
fsynced is gone, as from a disk whose cache lost power; what was fsynced is in the
backing directory. A process kill (SIGKILL of the broker alone) keeps the page cache,
so it cannot tell ``sync_interval: always`` from the default, nor ``appendfsync always``
from ``no``; this can.

``python -m commbench.messaging.powercut MOUNT BACKING`` serves MOUNT from BACKING in the
foreground (fusepy, single-threaded) and prints ``READY`` once mounted.

Model (simplified, stated): data writes are held per file until ``fsync``/``fdatasync``
of that file, except writes to a file opened ``O_SYNC``/``O_DSYNC``, durable when they
return; metadata operations (create, mkdir, rename, unlink, truncate) reach the
backing directory at once, as on a journalling filesystem that orders metadata.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from commbench.messaging import Unsupported


def _operations() -> Any:
    from fuse import FuseOSError, Operations

    class UnsyncedFS(Operations):
        """Passthrough to *backing*, with unsynced writes held in memory per path."""

        def __init__(self, backing: str) -> None:
            self.backing = backing
            self.dirty: dict[str, list[tuple[int, bytes]]] = {}
            # files opened O_SYNC/O_DSYNC: each write is durable when it returns (by path:
            # fusepy gives no per-open handle here)
            self.synchronous: set[str] = set()

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
            self.synchronous.discard(path)
            os.unlink(self._real(path))

        def rename(self, old: str, new: str) -> None:
            self.dirty.pop(new, None)
            if old in self.dirty:
                self.dirty[new] = self.dirty.pop(old)
            if old in self.synchronous:
                self.synchronous.discard(old)
                self.synchronous.add(new)
            os.rename(self._real(old), self._real(new))

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
        def create(self, path: str, mode: int, fi: Any = None) -> int:
            os.close(os.open(self._real(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode))
            return 0

        def open(self, path: str, flags: int) -> int:
            if flags & os.O_TRUNC:
                self.truncate(path, 0)
            if flags & os.O_DSYNC:  # O_SYNC includes it
                self.synchronous.add(path)
            return 0

        def read(self, path: str, size: int, offset: int, fh: Any) -> bytes:
            fd = os.open(self._real(path), os.O_RDONLY)
            try:
                data = bytearray(os.pread(fd, size, offset))
            finally:
                os.close(fd)
            end = offset + size
            for off, chunk in self.dirty.get(path, ()):
                lo, hi = max(off, offset), min(off + len(chunk), end)
                if lo >= hi:
                    continue
                if len(data) < hi - offset:
                    data.extend(b"\x00" * (hi - offset - len(data)))
                data[lo - offset : hi - offset] = chunk[lo - off : hi - off]
            return bytes(data)

        def write(self, path: str, data: bytes, offset: int, fh: Any) -> int:
            self.dirty.setdefault(path, []).append((offset, bytes(data)))
            if path in self.synchronous:
                self._apply(path, sync=True)
            elif sum(len(d) for _, d in self.dirty[path]) > 64 * 1024 * 1024:
                self._apply(path, sync=False)  # bound memory: an early writeback, unsynced
            return len(data)

        def fsync(self, path: str, datasync: int, fh: Any) -> None:
            self._apply(path, sync=True)

        def flush(self, path: str, fh: Any) -> None:
            return None  # close(2) does not make data durable

        def release(self, path: str, fh: Any) -> None:
            return None

        def fsyncdir(self, path: str, datasync: int, fh: Any) -> None:
            return None

    return UnsyncedFS


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
    FUSE(_operations()(backing), mount, foreground=True, nothreads=True, allow_other=False)
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
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith(b"READY"):
            self.stop()
            raise Unsupported("power cut: the FUSE layer did not mount")

    def cut(self) -> None:
        """The power cut: SIGKILL the layer (its unsynced writes die with it), unmount."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
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
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()
        self._unmount()


if __name__ == "__main__":
    sys.exit(main())
