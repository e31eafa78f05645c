"""Reproducible installs: the lock files pin every package (transitive ones too) with hashes, agree with
pyproject.toml's ranges, and `make run` installs only what serving needs."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^ ;\\]+)")
DEV_ONLY = {"pytest", "playwright", "pytest-playwright", "hypothesis", "ruff", "bandit", "pypdf"}


def _pins(name: str) -> dict[str, list[str]]:
    """{package: [pinned versions]} of a lock file, checking each pin carries at least one sha256 hash."""
    text = (ROOT / name).read_text(encoding="utf-8")
    pins: dict[str, list[str]] = {}
    for block in re.split(r"\n(?=\S)", text):
        match = PIN.match(block)
        if not match:
            continue
        assert "--hash=sha256:" in block, f"{name}: {match[1]} has no hash"
        pins.setdefault(canonicalize_name(match[1]), []).append(match[2])
    return pins


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _check(requirements: list[str], pins: dict[str, list[str]], lock: str) -> None:
    for line in requirements:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not pinned in {lock}"
        assert all(req.specifier.contains(v, prereleases=True) for v in pins[name]), (
            f"{lock} pins {req.name} {pins[name]}, outside pyproject.toml's {req.specifier}: run `make lock`")


def test_serving_lock_pins_every_dependency_and_nothing_for_tests():
    pins = _pins("requirements.txt")
    _check(_project()["dependencies"], pins, "requirements.txt")
    assert not DEV_ONLY & set(pins), f"serving would install {sorted(DEV_ONLY & set(pins))}"
    # transitive packages are pinned too (Flask's own dependencies are not listed in pyproject.toml)
    assert {"werkzeug", "jinja2", "itsdangerous", "click", "blinker", "markupsafe"} <= set(pins)


def test_dev_lock_pins_serving_tests_and_bench():
    pins = _pins("requirements-dev.txt")
    project = _project()
    extras = project["optional-dependencies"]
    _check(project["dependencies"] + extras["dev"] + extras["bench"], pins, "requirements-dev.txt")
    serving = _pins("requirements.txt")
    differ = {n for n in serving if n in pins and set(serving[n]) != set(pins[n])}
    assert not differ, f"the two lock files pin different versions of {sorted(differ)}"


def test_make_run_installs_from_the_serving_lock_only():
    plan = subprocess.run(["make", "-n", "-B", "-C", str(ROOT), ".venv/.installed-serve"],
                          capture_output=True, text=True, check=True).stdout
    assert "--require-hashes -r requirements.txt" in plan
    assert "requirements-dev.txt" not in plan and ".[dev]" not in plan
    run = subprocess.run(["make", "-n", "-C", str(ROOT), "run"], capture_output=True, text=True, check=True).stdout
    assert "requirements-dev.txt" not in run
