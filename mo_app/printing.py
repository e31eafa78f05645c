"""PDF rendering shared by all areas: the print view's HTML through WeasyPrint."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
from contextlib import contextmanager
from urllib.parse import quote

from flask import Response, current_app, render_template

from .config import ROOT

PDF_CSS = ROOT / "static" / "css" / "pdf.css"

# Documents (PDF, DOCX, XLSX) are built one at a time per process. A build holds tens of MB of layout
# or XML tree; eight waitress threads building at once held eight of them (the benchmark saw 330 MB a
# process). The GIL runs one build at a time anyway, so the queue costs no throughput. After a build its
# garbage is collected at once: WeasyPrint's layout tree is cyclic (~10,000 objects a PDF) and outlives the
# young generations, and Python's own full collection waits until the long-lived heap has grown by a quarter,
# so under a run of PDFs the process held ~10 MB of dead layouts. Then the freed heap goes back to the system
# (glibc's malloc_trim), so one PDF does not keep the process large. The collection runs in a server process,
# whose startup objects mo_app.serve.prepare_process froze: there it walks only what came later (~20 ms a
# document); elsewhere (tests, `flask run`) it would walk everything (~85 ms and more) and is left to Python.
_DOCUMENT_SLOT = threading.RLock()
_LIBC = ctypes.CDLL(ctypes.util.find_library("c")) if ctypes.util.find_library("c") else None
_TRIM = getattr(_LIBC, "malloc_trim", None)


@contextmanager
def document_slot():
    """Hold the process's one document slot while building a document; give memory back afterwards."""
    with _DOCUMENT_SLOT:
        try:
            yield
        finally:
            if gc.get_freeze_count():
                gc.collect()
            if _TRIM is not None:
                _TRIM(0)


def render_pdf(template: str, **ctx) -> bytes:
    """Render `template` (a print view extending print_base.html) to PDF bytes.

    The template gets ``pdf=True`` so it leaves out the browser toolbar. Static files are read from disk,
    nothing is fetched over the network."""
    from weasyprint import HTML  # imported lazily: it takes ~0.4 s

    html = render_template(template, pdf=True, **ctx)
    fetcher = _static_fetcher()
    with document_slot():
        font_config, stylesheet = _shared_styles(fetcher)
        return HTML(string=html, base_url=str(ROOT / "static") + "/", url_fetcher=fetcher).write_pdf(
            stylesheets=[stylesheet], font_config=font_config
        )


_STYLES: tuple | None = None


def _shared_styles(fetcher):
    """One WeasyPrint font configuration and the parsed pdf.css for every PDF of the process (inside the
    document slot). A font configuration a document (WeasyPrint's default) kept ~0.25 MB of Pango and
    fontconfig state a PDF that nothing gave back: the process grew with every PDF it made."""
    global _STYLES
    if _STYLES is None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
        _STYLES = (font_config, CSS(filename=str(PDF_CSS), url_fetcher=fetcher, font_config=font_config))
    return _STYLES


def _static_fetcher():
    """Local files and data: URLs only (a PDF never reaches the network); `/static/…` links, as
    `url_for('static', …)` writes them for the browser, are read from the static folder."""
    from weasyprint.urls import URLFetcher

    static_url = "file:///static/"
    static_dir = (ROOT / "static").as_uri() + "/"

    class StaticFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith(static_url):
                url = static_dir + url[len(static_url):]
            return super().fetch(url, headers)

    return StaticFetcher(allowed_protocols=("file", "data"))


def download_headers(filename: str, inline: bool = False) -> dict:
    """Content-Disposition for a (Cyrillic) file name, RFC 5987."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "document"
    kind = "inline" if inline else "attachment"
    return {"Content-Disposition": f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"}


def pdf_response(template: str, filename: str, **ctx) -> Response:
    """A PDF download of a print view."""
    data = render_pdf(template, **ctx)
    current_app.logger.debug("pdf %s: %d bytes", filename, len(data))
    return Response(data, mimetype="application/pdf", headers=download_headers(filename, inline=True))
