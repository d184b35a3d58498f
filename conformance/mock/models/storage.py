"""The data directory: where uploaded bytes live, always under names the mock generates.

Each ``Backend`` owns one fresh directory (a temporary one, or one inside
``MockSettings.data_dir``), made when the first bytes arrive and removed when the
backend is garbage-collected or the interpreter exits. Files in it are named by
``uuid4().hex`` and nothing else, so no client-chosen name ever becomes a path.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import threading
import uuid
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["Bytes", "DataDir", "Reader", "Receiver"]

Bytes = bytes | bytearray | memoryview

_PREFIX = "mock-vcenter-data-"


class Receiver:
    """Writes bytes to a new file (mode 0600) while hashing them.

    ``hash`` and ``store`` of one batch may run at the same time, in two worker threads
    (hashlib and file writes release the GIL); ``write`` does both. Locks keep ``close``
    from closing the file under a write; batches after ``close`` are dropped. ``close``
    is idempotent and returns the hex digest.
    """

    def __init__(self, path: Path, hash_name: str) -> None:
        self.path = path
        # O_EXCL: never write through an existing file (or symlink) of that name.
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        self._hash = hashlib.new(hash_name, usedforsecurity=False)
        self._hash_lock = threading.Lock()
        self._store_lock = threading.Lock()
        self._digest: str | None = None
        self.count = 0  # bytes stored

    def hash(self, data: Bytes) -> None:
        with self._hash_lock:
            if self._digest is None:
                self._hash.update(data)

    def store(self, data: Bytes) -> None:
        """Append ``data`` to the file."""
        with self._store_lock:
            if self._digest is None:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view) :]
                self.count += len(data)

    def write(self, data: Bytes) -> None:
        self.hash(data)
        self.store(data)

    def close(self) -> str:
        with self._hash_lock, self._store_lock:
            if self._digest is None:
                os.close(self._fd)
                self._digest = self._hash.hexdigest()
            return self._digest


class Reader:
    """Reads one file in batches from a worker thread; reads after ``close`` return b""."""

    def __init__(self, path: Path) -> None:
        self._file: BinaryIO | None = path.open("rb")
        self._lock = threading.Lock()

    def read(self, size: int) -> bytes:
        with self._lock:
            return b"" if self._file is None else self._file.read(size)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


class DataDir:
    """The directory of one mock's bytes, made on first use (most mocks never need it)."""

    def __init__(self, parent: str | None = None) -> None:
        self._parent = parent
        self._root: Path | None = None
        self._cleanup: Callable[[], object] | None = None  # a weakref.finalize

    @property
    def root(self) -> Path:
        if self._root is None:
            if self._parent is not None:
                Path(self._parent).mkdir(parents=True, exist_ok=True)
            self._root = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=self._parent))
            self._cleanup = weakref.finalize(self, shutil.rmtree, self._root, ignore_errors=True)
        return self._root

    @property
    def location(self) -> str | None:
        """The directory, if it has been made."""
        return None if self._root is None else str(self._root)

    def receiver(self, hash_name: str) -> Receiver:
        """A new, empty file under a generated name, ready to receive bytes."""
        return Receiver(self.root / uuid.uuid4().hex, hash_name)

    @staticmethod
    def discard(path: Path | None) -> None:
        """Delete one file of ours (None and already-deleted files are fine)."""
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    def wipe(self) -> None:
        """Delete every file in the directory (``reset``); the directory stays."""
        if self._root is None:
            return
        for path in self._root.iterdir():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                self.discard(path)

    def close(self) -> None:
        """Remove the directory now rather than at garbage collection or exit.

        A later write makes a new one."""
        if self._cleanup is not None:
            self._cleanup()
        self._root = self._cleanup = None
