"""`python -m bench.serve`: the bench app under waitress, exactly as `python -m mo_app.serve` serves the app."""

import os

from waitress import serve

from mo_app.serve import limit_malloc_arenas, threads

from .wsgi import app

if __name__ == "__main__":
    limit_malloc_arenas()
    serve(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")),
          threads=threads(), ident="mo_app")
