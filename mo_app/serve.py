"""`python -m mo_app.serve`: serve the app with waitress (what `make run` does)."""

import ctypes
import ctypes.util
import gc
import os

from waitress import serve

from . import create_app

M_ARENA_MAX = -8  # glibc's mallopt() parameter


def threads() -> int:
    """waitress's worker threads (THREADS, default 4, waitress's own default). The GIL runs one at a time;
    the benchmark measured 8 threads slower than 4 (370 against 459 req/s on its reference page) and ~20 MB
    larger at peak."""
    return int(os.environ.get("THREADS", "4"))


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas before waitress starts its threads (unless MALLOC_ARENA_MAX says otherwise).

    glibc gives threads that allocate at the same time arenas of their own (up to 8 per core), and memory
    freed in one stays with it: under load, 8 threads kept ~10 MB more with 16 arenas than with 2. The threads take
    turns on the GIL anyway, so fewer arenas cost no speed."""
    name = ctypes.util.find_library("c")
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None) if name else None
    if mallopt is not None and "MALLOC_ARENA_MAX" not in os.environ:
        mallopt(M_ARENA_MAX, arenas)


def prepare_process() -> None:
    """What a server process does once, after building the app and before serving: cap malloc's arenas, load
    the document libraries, and freeze what is loaded so the garbage collector stops walking it.

    WeasyPrint and python-docx (~40 MB) would load with the first PDF or DOCX anyway; loading them here makes
    that first document as quick as the others. `gc.freeze()` moves the ~150,000 objects alive now (modules,
    the app) out of the collector's reach: the full collection after each document (mo_app/printing.py)
    takes ~20 ms instead of ~85 ms. Objects that live for the whole process lose nothing by it."""
    limit_malloc_arenas()
    import docx  # noqa: F401
    import weasyprint  # noqa: F401

    gc.collect()
    gc.freeze()


def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    app = create_app(migrations=False)
    prepare_process()
    print(f"\nМО библиотекарей: http://{host}:{port}/")
    print("Демо-входы: методист metodist / metodist; библиотекари aleksandrova, golubeva, patrakova, udachina,")
    print("            efremova, meshcheryakova, zhukova, kulkova — пароль demo. Остановить: Ctrl-C.\n", flush=True)
    serve(app, host=host, port=port, threads=threads(), ident="mo_app")


if __name__ == "__main__":
    main()
