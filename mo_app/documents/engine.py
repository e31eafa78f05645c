"""The PDF engine: one Typst template per paper (templates/*.typ), its data passed as JSON through
`sys_inputs` (read by the template with `json(bytes(sys.inputs.data))`, so a title like `#panic("x")` stays
text: nothing is ever written into the markup), typeset with the bundled DejaVu Serif only (system fonts are
ignored: a paper looks the same on every machine). The `typst` wheel is the whole engine: no system library."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import typst

HERE = Path(__file__).resolve().parent
FONTS_DIR = HERE / "fonts"
TEMPLATES_DIR = HERE / "templates"
CHILD = HERE / "child.py"
#: a paper whose data (JSON) is larger than this is typeset in a child process (child.py says why): the year's
#: register or plan, not a справка, a sign-in sheet or a certificate (a few KB each, quicker in-process)
CHILD_PROCESS_CHARS = 64 * 1024
CHILD_TIMEOUT = 300  #: seconds a child process may take (the largest paper of a 10× city takes a few)

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

    Each render compiles afresh (~10–40 ms, the GIL released meanwhile); a large one in a child process. A
    reused `typst.Compiler` was measured slower with new data each time (a 4-page справка: 161 ms against 39 ms;
    it only wins on unchanged input, which the fragment cache serves anyway) and serves one call at a time."""
    path = TEMPLATES_DIR / f"{template}.typ"
    if not path.is_file():
        raise LookupError(f"no document template {template!r}")
    inputs = {"data": json.dumps(_typeset(data), ensure_ascii=False)}
    if len(inputs["data"]) > CHILD_PROCESS_CHARS:
        return _compile_apart(path, inputs)
    return typst.compile(str(path), sys_inputs=inputs, **_options())


def _compile_apart(path: Path, inputs: dict) -> bytes:
    """Typeset in a child process: what Typst keeps of a large paper leaves with the process (~30 ms more)."""
    job = json.dumps({"path": str(path), "inputs": inputs, "options": _options()}, ensure_ascii=False)
    done = subprocess.run([sys.executable, str(CHILD)], input=job.encode(), capture_output=True,  # noqa: S603
                          timeout=CHILD_TIMEOUT, check=False)
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF-"):
        raise RuntimeError(f"Typst in a child process failed ({done.returncode}): "
                           f"{done.stderr.decode('utf-8', 'replace')[-2000:]}")
    return done.stdout
