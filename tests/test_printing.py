"""The shared PDF renderer: local stylesheets and images load, the network is never fetched."""

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
