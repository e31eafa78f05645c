"""`python -m bench.serve`: the bench app under waitress, exactly as `python -m mo_app.serve` serves the app."""

import os

from waitress import serve

from mo_app.serve import threads

from .wsgi import app  # built and prepared (mo_app.serve.prepare_process) as a server process

if __name__ == "__main__":
    serve(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")),
          threads=threads(), ident="mo_app")
