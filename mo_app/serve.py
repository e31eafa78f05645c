"""`python -m mo_app.serve`: serve the app with waitress (what `make run` does)."""

import os

from waitress import serve

from . import create_app


def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    app = create_app()
    print(f"\nМО библиотекарей: http://{host}:{port}/")
    print("Демо-входы: методист metodist / metodist; библиотекари aleksandrova, golubeva, patrakova, udachina,")
    print("            efremova, meshcheryakova, zhukova, kulkova — пароль demo. Остановить: Ctrl-C.\n", flush=True)
    serve(app, host=host, port=port, threads=int(os.environ.get("THREADS", "8")), ident="mo_app")


if __name__ == "__main__":
    main()
