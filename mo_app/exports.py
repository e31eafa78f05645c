"""Spreadsheet exports shared by all areas: CSV for Excel and XLSX, with formula injection neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

from .printing import document_slot, send_download

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that a spreadsheet would take for a formula gets a leading apostrophe; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """CSV that Excel opens with Cyrillic right: UTF-8 with BOM, `;`-separated."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    data = "\ufeff" + buf.getvalue()
    return send_download(data.encode("utf-8"), filename, "text/csv; charset=utf-8")


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]], widths: dict | None = None) -> bytes:
    """An XLSX workbook: one sheet per (title, header, rows), bold header, sensible column widths."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    with document_slot():
        wb = Workbook()
        wb.remove(wb.active)
        for title, header, rows in sheets:
            ws = wb.create_sheet(title=title[:31])
            ws.append([safe_cell(h) for h in header])
            for cell in ws[1]:
                cell.font = Font(bold=True)
            lengths = [len(str(h)) for h in header]
            for row in rows:
                values = [safe_cell(v) for v in row]
                ws.append(values)
                for i, v in enumerate(values):
                    lengths[i] = max(lengths[i], min(len(str(v)), 60))
            for i, length in enumerate(lengths, start=1):
                ws.column_dimensions[get_column_letter(i)].width = (widths or {}).get(i, max(6, length + 2))
            for row in ws.iter_rows(min_row=2):
                for cell in row:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.freeze_panes = "A2"
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()


def xlsx_response(filename: str, sheets, widths: dict | None = None) -> Response:
    """An XLSX download."""
    return send_download(xlsx_bytes(sheets, widths), filename,
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
