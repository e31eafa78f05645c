"""Load with Debian's wrk: 16 connections for a fixed time; throughput (answers that succeeded), p50/p95/p99,
status counts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from .client import USER_AGENT, Session

CONNECTIONS = 16
THREADS = 2

_COMMON = r"""
local threads = {}
statuses = {}
setup = function(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
response = function(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if answered then answered(status) end
end
done = function(summary, latency, requests)
  local agg = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do agg[k] = (agg[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(agg) do table.insert(parts, string.format('"%s":%d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"errors":%d,"timeouts":%d,"p50_us":%d,"p95_us":%d,' ..
    '"p99_us":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), table.concat(parts, ",")))
end
"""


def _lua_str(s: str) -> str:
    return json.dumps(s)  # a JSON string literal is a valid Lua string literal for these ASCII values


def get_script(session: Session | None, path: str) -> str:
    """GET as one user (or nobody: the bare reference)."""
    cookie = f'wrk.headers["Cookie"] = {_lua_str(session.cookie)}\n' if session else ""
    return _COMMON + f"""
wrk.method = "GET"
wrk.path = {_lua_str(path)}
wrk.headers["User-Agent"] = {_lua_str(USER_AGENT)}
""" + cookie


def users_get_script(sessions: list[Session], path: str) -> str:
    """GET as several users: run it with one connection per thread; thread n is user n mod len(sessions), so
    each user has the same share of the connections (a per-user limit sees what a user can send)."""
    users = ", ".join(_lua_str(s.cookie) for s in sessions)
    return _COMMON + f"""
local cookies = {{ {users} }}
local req
init = function(args)
  req = wrk.format("GET", {_lua_str(path)}, {{
    ["Cookie"] = cookies[((tid - 1) % #cookies) + 1], ["User-Agent"] = {_lua_str(USER_AGENT)}}})
end
request = function()
  return req
end
"""


def alternate_script(sessions: list[Session], do_path: str, undo_path: str, threads: int = CONNECTIONS) -> str:
    """POST do/undo in turn (htmx headers, CSRF). Run it with one connection per thread: each thread owns its
    share of the users, so one user's sign-up and cancel never overlap. Each user's next action follows from
    the answer to their last one, not from a count of calls: wrk calls request() once more than it sends (on
    the first thread, to check the script), which put one user out of step (one 404 a run); and a request
    still queued from an earlier run can land after the clean start (a 409 «already signed up» says so: the
    user is signed up, so next comes the cancel)."""
    users = ",\n".join(
        f"{{cookie={_lua_str(s.cookie)}, token={_lua_str(s.csrf)}}}" for s in sessions
    )
    return _COMMON + f"""
local users = {{ {users} }}
local do_path, undo_path = {_lua_str(do_path)}, {_lua_str(undo_path)}
local mine, n, signed_up, last, last_path = {{}}, 0, {{}}, nil, nil
init = function(args)
  for i, u in ipairs(users) do
    if (i - 1) % {threads} == tid - 1 then table.insert(mine, u) end
  end
end
request = function()
  local u = mine[(n % #mine) + 1]
  n = n + 1
  last = u
  local path = signed_up[u] and undo_path or do_path
  last_path = path
  return wrk.format("POST", path, {{
    ["Cookie"] = u.cookie, ["X-CSRFToken"] = u.token, ["HX-Request"] = "true",
    ["User-Agent"] = {_lua_str(USER_AGENT)}, ["Content-Type"] = "application/x-www-form-urlencoded"}}, "")
end
answered = function(status)  -- 404: there was nothing to cancel; 409: already signed up
  if last and (status < 400 or status == 404 or status == 409) then signed_up[last] = (last_path == do_path) end
end
"""


def wrk_path() -> str | None:
    return shutil.which("wrk")


@dataclass
class Running:
    proc: subprocess.Popen
    script: str  #: the Lua file, removed when done
    seconds: float


def start(port: int, script: str, path: str, seconds: float, threads: int = THREADS,
          connections: int = CONNECTIONS, timeout: float = 10) -> Running:
    """Start wrk in the background (finish() waits for it and reads its result)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        name = f.name
    cmd = [wrk_path() or "wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
           "--timeout", f"{round(timeout)}s", "-s", name, f"http://127.0.0.1:{port}{path}"]
    return Running(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), name, seconds)


def finish(running: Running) -> dict:
    """Wait for wrk; rps counts the answers that succeeded (2xx, 3xx): a fast 429 or 500 is not throughput."""
    try:
        stdout, stderr = running.proc.communicate(timeout=running.seconds + 60)
    finally:
        if running.proc.poll() is None:
            running.proc.kill()
        os.unlink(running.script)
    line = next((ln for ln in stdout.splitlines() if ln.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {stdout[-500:]} {stderr[-500:]}")
    data = json.loads(line[len("BENCHJSON "):])
    seconds_run = data["duration_us"] / 1e6
    done = data["requests"] > 0
    statuses = {int(k): v for k, v in data["statuses"].items()}
    ok = sum(n for s, n in statuses.items() if 200 <= s < 400)

    def ms(key: str) -> float | None:
        return round(data[key] / 1000, 1) if done else None

    return {
        "rps": round(ok / seconds_run, 1) if seconds_run else 0.0,
        "requests": data["requests"],
        "p50_ms": ms("p50_us"),
        "p95_ms": ms("p95_us"),
        "p99_ms": ms("p99_us"),
        "errors": data["errors"] + data["timeouts"],
        "statuses": statuses,
    }


def run(port: int, script: str, path: str, seconds: float, threads: int = THREADS,
        connections: int = CONNECTIONS, timeout: float = 10) -> dict:
    """Run wrk with `script` against `path`; returns rps, latencies in ms, errors and status counts."""
    return finish(start(port, script, path, seconds, threads, connections, timeout))
