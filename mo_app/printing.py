"""Downloads shared by all areas: send_download (send_file: RFC 6266 names), the PDF response, and the one
DOCX/XLSX build at a time of a process (the PDFs themselves: mo_app/documents)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import io
import os
import threading
from contextlib import contextmanager
from typing import BinaryIO

from flask import Response, send_file

# Office documents (DOCX, XLSX) are built one at a time per process: a build holds tens of MB of XML tree, and
# the GIL runs one build at a time anyway, so the queue costs no throughput. After a build its garbage is
# collected at once and the freed heap goes back to the system (glibc's malloc_trim), so one document does not
# keep the process large. The collection runs in a server process, whose startup objects
# mo_app.serve.prepare_process froze: there it walks only what came later; elsewhere it is left to Python.
_DOCUMENT_SLOT = threading.RLock()
_LIBC = ctypes.CDLL(ctypes.util.find_library("c")) if ctypes.util.find_library("c") else None
_TRIM = getattr(_LIBC, "malloc_trim", None)


@contextmanager
def document_slot():
    """Hold the process's one office-document slot while building a DOCX or XLSX; give memory back afterwards."""
    with _DOCUMENT_SLOT:
        try:
            yield
        finally:
            if gc.get_freeze_count():
                gc.collect()
            if _TRIM is not None:
                _TRIM(0)


def send_download(data: bytes | BinaryIO, filename: str, mimetype: str, inline: bool = False) -> Response:
    """Every download: werkzeug's send_file writes Content-Disposition (RFC 6266: quoted ASCII name plus
    filename*=UTF-8 for Cyrillic), the length and range support; no-store comes from security.py. `data` is the
    bytes, or an open file (a kept document, mo_app/documents/kept.py), sent from the file and closed after."""
    if isinstance(data, bytes | bytearray):
        response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=not inline, download_name=filename)
    else:
        response = send_file(data, mimetype=mimetype, as_attachment=not inline, download_name=filename)
        response.content_length = os.fstat(data.fileno()).st_size
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def pdf_response(data: bytes | BinaryIO, filename: str) -> Response:
    """A PDF (made by mo_app.documents, or kept as issued) shown inline by the browser."""
    return send_download(data, filename, "application/pdf", inline=True)
