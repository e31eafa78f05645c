"""The shared PDF renderer: local stylesheets and images load, the network is never fetched."""

import gc

from pypdf import PdfReader

from mo_app.printing import render_pdf


def _text(data: bytes) -> str:
    import io

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_with_local_stylesheet_and_cyrillic(app, tmp_path):
    (tmp_path / "t.html").write_text(
        '<html><head><link rel="stylesheet" href="/static/css/test-print.css"></head>'
        '<body><img src="favicon.svg"><h1>Справка по итогам посещения</h1>'
        '<img src="http://127.0.0.1:9/x.png"></body></html>',
        encoding="utf-8",
    )
    app.jinja_loader.searchpath.append(str(tmp_path))
    from mo_app.config import ROOT

    css = ROOT / "static" / "css" / "test-print.css"
    css.write_text("@page { @top-center { content: 'Колонтитул из CSS'; } }")
    try:
        with app.test_request_context():
            data = render_pdf("t.html")
    finally:
        css.unlink()
    assert data.startswith(b"%PDF")
    text = _text(data)
    assert "Справка по итогам посещения" in text
    assert "стр. 1 из 1" in text
    assert "Колонтитул из CSS" in text  # the linked /static/ stylesheet was applied


def test_documents_are_built_one_at_a_time_and_all_finish(app):
    """Six threads ask for PDFs and spreadsheets at once: every one gets its whole document, and no two
    builds overlap in the process (each build holds tens of MB; eight at once made a worker 330 MB)."""
    import threading

    import weasyprint

    from mo_app.exports import xlsx_bytes

    real_write_pdf = weasyprint.HTML.write_pdf
    inside, most, lock = 0, 0, threading.Lock()

    def counting_write_pdf(self, *args, **kwargs):
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        try:
            return real_write_pdf(self, *args, **kwargs)
        finally:
            with lock:
                inside -= 1

    results, errors = [], []

    def build(i: int):
        try:
            with app.test_request_context():
                if i % 2:
                    results.append(xlsx_bytes([("Лист", ["№"], [[i]])])[:2])
                else:
                    results.append(render_pdf("print_base.html")[:4])
        except Exception as exc:  # noqa: BLE001 — the assertion below names it
            errors.append(exc)

    weasyprint.HTML.write_pdf = counting_write_pdf
    try:
        threads = [threading.Thread(target=build, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        weasyprint.HTML.write_pdf = real_write_pdf
    assert not errors
    assert sorted(results) == [b"%PDF"] * 3 + [b"PK"] * 3
    assert most == 1


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS"))


def test_making_pdfs_does_not_grow_the_process(app, tmp_path):
    """A worker makes PDFs all day: after the first few, more of them must not keep memory. (WeasyPrint's
    font configuration a document kept ~0.25 MB each that nothing gave back: 60 PDFs, +15 MB.)"""
    (tmp_path / "memo.html").write_text("<html><body><h1>Лист регистрации</h1><p>Участники</p></body></html>",
                                        encoding="utf-8")
    app.jinja_loader.searchpath.append(str(tmp_path))
    with app.test_request_context():
        for _ in range(10):  # warm: imports, fonts, caches
            render_pdf("memo.html")
        before = _rss_mb()
        for _ in range(60):
            assert render_pdf("memo.html").startswith(b"%PDF")
        grown = _rss_mb() - before
    assert grown < 4, f"60 PDFs kept {grown:.1f} MB"


def test_a_pdf_leaves_no_garbage_for_later(app, tmp_path):
    """WeasyPrint's layout is cyclic: left to Python's own full collection, the dead layouts of a run of
    PDFs piled up (~10 MB) before anything freed them. In a server process (startup objects frozen, as
    mo_app.serve.prepare_process does) the document slot collects them as it closes."""
    (tmp_path / "memo.html").write_text("<html><body><table>" + "<tr><td>Школа №1</td><td>подпись</td></tr>" * 40
                                        + "</table></body></html>", encoding="utf-8")
    app.jinja_loader.searchpath.append(str(tmp_path))
    with app.test_request_context():
        render_pdf("memo.html")  # warm: imports, fonts
        gc.collect()
        gc.freeze()
        try:
            assert render_pdf("memo.html").startswith(b"%PDF")
            left = gc.collect()
        finally:
            gc.unfreeze()
    assert left < 100, f"a PDF left {left} unreachable objects for the collector"
