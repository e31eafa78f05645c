"""Password hashes: scrypt's 32 MB a check, one check at a time per process."""

import os
import subprocess
import sys

from mo_app.config import ROOT
from mo_app.passwords import hash_password, password_matches

# Runs in a fresh process: the test process's own peak says nothing. One check first (its 32 MB is then in
# the peak), then four at once from four threads, as four waitress threads logging four librarians in.
FOUR_AT_ONCE = """
import threading
from mo_app.passwords import hash_password, password_matches

def peak_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM"))

stored = hash_password("библиотека")
assert password_matches(stored, "библиотека")
before = peak_mb()
answers = []
threads = [threading.Thread(target=lambda: answers.append(password_matches(stored, "библиотека")))
           for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(answers.count(True), round(peak_mb() - before))
"""


def test_hash_and_check():
    stored = hash_password("Пароль-2016")
    assert stored.startswith("scrypt:") and "Пароль-2016" not in stored
    assert password_matches(stored, "Пароль-2016")
    assert not password_matches(stored, "пароль-2016")


def test_four_logins_at_once_hold_one_hash_of_memory():
    """Without the turn-taking, four checks at once raised the peak by 96 MB (4 × 32 MB, hashlib lets
    threads run in parallel)."""
    env = {**os.environ, "SECRET_KEY": "x" * 32}
    out = subprocess.run([sys.executable, "-c", FOUR_AT_ONCE], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    matched, grown_mb = map(int, out.stdout.split())
    assert matched == 4
    assert grown_mb < 16, f"four checks at once raised the peak by {grown_mb} MB"
