"""Password hashes (werkzeug's scrypt), one at a time per process.

scrypt is memory-hard by design: each hash or check holds 32 MB (N=2**15, r=8) while it runs, and hashlib
lets other threads run meanwhile. Four waitress threads checking passwords at once (the first lesson of the
morning, everyone logging in) held 128 MB on top of the process; taking turns holds 32 MB. A check takes
~0.1 s, so a login waits at most that long for each one ahead of it.
"""

from __future__ import annotations

import threading

from werkzeug.security import check_password_hash, generate_password_hash

METHOD = "scrypt"
_SLOT = threading.Lock()


def hash_password(password: str) -> str:
    with _SLOT:
        return generate_password_hash(password, method=METHOD)


def password_matches(password_hash: str, password: str) -> bool:
    with _SLOT:
        return check_password_hash(password_hash, password)
