"""Helpers for the security tests: a fingerprint of every row in the database; the readable text of any
download (PDF, XLSX, DOCX) for leak and escaping checks."""

from __future__ import annotations

import io
import re
from contextlib import contextmanager

from mo_app.extensions import db

from .conftest import make_app


def db_fingerprint(exclude: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: equal fingerprints mean equal data."""
    db.session.commit()
    out = {}
    for table in db.metadata.sorted_tables:
        if table.name in exclude:
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        rows = db.session.execute(db.select(table).order_by(*order)).all()
        out[table.name] = [tuple(row) for row in rows]
    db.session.commit()
    return out


@contextmanager
def other_app(tmp_path, **config):
    """A second app on the same database (other configuration), cleaned up afterwards."""
    app = make_app(tmp_path, **config)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def pdf_text(data: bytes) -> str:
    """The text a reader of the PDF sees (pages joined, words hyphenated at a line's end joined again,
    whitespace squashed)."""
    return " ".join(pdf_pages(data))


def pdf_pages(data: bytes) -> list[str]:
    """Each page's text as a reader sees it (see pdf_text)."""
    from pypdf import PdfReader

    return [" ".join(HYPHENATED.sub(r"\1\2", page.extract_text().replace("\xad", "-")).split())
            for page in PdfReader(io.BytesIO(data)).pages]


#: The hyphen glyph reads back as U+00AD or "-" (one glyph, one character in the font's map): both print "-".
#: a word Typst hyphenated at a line's end: «рекомен-\nдации» (a hyphen next to a capital or a digit is the
#: text's own: «ЧАСТНОЕ-\nшколы»)
HYPHENATED = re.compile(r"([а-яёa-z])-\n([а-яёa-z])")


def xlsx_cells(data: bytes) -> list:
    """Every cell value of every sheet, as openpyxl reads it."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return [cell.value for ws in wb.worksheets for row in ws.iter_rows() for cell in row]


def docx_text(data: bytes) -> str:
    """Paragraphs and table cells of a Word document."""
    import docx

    doc = docx.Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def readable_text(response) -> str:
    """What a person opening the response would read: text of HTML/CSV/ICS, of a PDF, XLSX or DOCX."""
    data = response.get_data()
    if response.mimetype == "application/pdf":
        return pdf_text(data)
    if response.mimetype == XLSX:
        return "\n".join(str(v) for v in xlsx_cells(data) if v is not None)
    if response.mimetype == DOCX:
        return docx_text(data)
    if response.mimetype.startswith("text/"):
        return response.get_data(as_text=True)
    return data.decode("latin-1")
