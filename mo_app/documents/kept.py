"""Finished downloads (the plan's PDF and DOCX, the year results, the visits register, sign-in sheets, the
workbooks) kept as files, per data stamp, in DOCUMENT_CACHE_DIR (instance/cache/documents/<stamp>/), where every
server process finds them.

Kept in a process (the fragment cache, mo_app/cache.py), a 4 MB results PDF was rendered once per gunicorn worker
and held in each worker's memory; kept here it is rendered once per change for the whole server and sent from the
file (sendfile), so a worker holds no document bytes between requests.

The rules are those of `mo_app.cache.cached`: the stamp is read before the data, a request with uncommitted
changes neither reads nor fills, and a new stamp (any committed change) means new files. A file is written under a
temporary name and renamed, so a reader sees a whole document or none. The first file of a new stamp removes the
folders of stamps older than STALE_SECONDS (a request that read an old stamp just before a change may still be
writing into its folder: it takes seconds, not minutes), and keeps the whole store under DOCUMENT_CACHE_BYTES.
It is a cache: an error here costs a render, never a request, and a backup leaves it out."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from ..cache import may_keep, viewer_key

log = logging.getLogger(__name__)

DEFAULT_BUDGET = 512 * 1024 * 1024  #: bytes of kept documents on disk (DOCUMENT_CACHE_BYTES)
STALE_SECONDS = 600  #: a stamp's folder untouched this long is dead (a newer stamp exists)


def store_dir() -> Path:
    """Where documents are kept (DOCUMENT_CACHE_DIR: instance/cache/documents unless configured)."""
    return Path(current_app.config["DOCUMENT_CACHE_DIR"])


def _name(text: str) -> str:
    """A file name for any stamp or key (nothing of it reaches the path as written)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def kept_document(stamp: str | None, key: Hashable, build: Callable[[], bytes]) -> bytes | BinaryIO:
    """The document `build()` makes, kept under (stamp, key): the kept copy as an open file (send_download sends
    it, with the server's sendfile where it has one, and closes it), or the new bytes.

    `stamp` must have been read before `build` reads any data; `key` names everything the document shows beyond
    the data (year, period, day, a librarian's own figures...) with plain values whose repr is the same in every
    process; the viewer's role and school and the script root join it by themselves (`viewer_key`, as for the
    page fragments). Without a stamp, with caching off (FRAGMENT_CACHE False) or with uncommitted changes,
    `build()` is called and nothing kept."""
    if not may_keep(stamp):
        return build()
    root = store_dir()
    folder = root / _name(stamp)
    path = folder / _name(repr((key, viewer_key())))
    # one render per file at a time in this process: the others wait for its file
    return current_app.extensions["mo_document_flights"].fetch(
        path, lambda: _open(path), build, lambda data: _store(root, folder, path, data))


def _open(path: Path) -> BinaryIO | None:
    try:
        return open(path, "rb")  # noqa: SIM115 - closed with the response; open, it outlives a sweep
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("a kept document could not be read (%s): rendering it", exc)
        return None


def _store(root: Path, folder: Path, path: Path, data: bytes) -> None:
    budget = current_app.config.get("DOCUMENT_CACHE_BYTES", DEFAULT_BUDGET)
    if len(data) > budget:
        return
    try:
        new_stamp = not folder.is_dir()
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        temporary = folder / f".{path.name}.{secrets.token_hex(6)}"
        with open(temporary, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
        if new_stamp:
            _sweep(root, folder, budget)
    except OSError as exc:
        log.warning("a document could not be kept (%s)", exc)


def _sweep(root: Path, current: Path, budget: int) -> None:
    """Remove dead stamps' folders, and the oldest others while the store is over its budget (never `current`)."""
    now = time.time()
    folders = []
    for entry in root.iterdir():
        if entry == current or not entry.is_dir():
            continue
        mtime = entry.stat().st_mtime
        if now - mtime > STALE_SECONDS:
            shutil.rmtree(entry, ignore_errors=True)
        else:
            folders.append((mtime, entry))
    size = sum(f.stat().st_size for f in current.iterdir())
    sizes = {entry: sum(f.stat().st_size for f in entry.iterdir()) for _, entry in folders}
    total = size + sum(sizes.values())
    for _, entry in sorted(folders):
        if total <= budget:
            break
        shutil.rmtree(entry, ignore_errors=True)
        total -= sizes[entry]
