"""The PDF engine: one Typst template per paper (templates/*.typ), its data passed as JSON through
`sys_inputs` (read by the template with `json(bytes(sys.inputs.data))`, so a title like `#panic("x")` stays
text: nothing is ever written into the markup), typeset with the bundled DejaVu Serif only (system fonts are
ignored: a paper looks the same on every machine). The `typst` wheel is the whole engine: no system library."""

from __future__ import annotations

import json
import re
from pathlib import Path

import typst

HERE = Path(__file__).resolve().parent
FONTS_DIR = HERE / "fonts"
TEMPLATES_DIR = HERE / "templates"

NNBSP = "\u202f"  #: narrow no-break space: «№ 79»
_NUMBER_SIGN = re.compile(r"(№+)[ \u00a0\u2009\u202f]*(?=\d)")
_YEAR_MARK = re.compile(r"(\d) (гг?\.)")


def typographic(text: str) -> str:
    """Russian typography for a paper: `№` and its number joined by a thin no-break space, «2026 г.» unbroken."""
    if "№" in text:
        text = _NUMBER_SIGN.sub(r"\1" + NNBSP, text)
    if "г." in text:
        text = _YEAR_MARK.sub("\\1\u00a0\\2", text)
    return text


def _typeset(value):
    if isinstance(value, str):
        return typographic(value)
    if isinstance(value, dict):
        return {k: _typeset(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_typeset(v) for v in value]
    return value


def _options() -> dict:
    return {"root": str(TEMPLATES_DIR), "font_paths": [str(FONTS_DIR)], "ignore_system_fonts": True}


def render_pdf(template: str, data: dict) -> bytes:
    """PDF bytes of templates/`template`.typ with `data` (plain JSON-able values; strings get Russian typography).

    Each render compiles afresh (~10–40 ms, the GIL released meanwhile). A reused `typst.Compiler` was measured
    slower with new data each time (a 4-page справка: 161 ms against 39 ms; it only wins on unchanged input,
    which the fragment cache serves anyway) and serves one call at a time."""
    path = TEMPLATES_DIR / f"{template}.typ"
    if not path.is_file():
        raise LookupError(f"no document template {template!r}")
    inputs = {"data": json.dumps(_typeset(data), ensure_ascii=False)}
    return typst.compile(str(path), sys_inputs=inputs, **_options())
