"""Requests per second of the logged-in home page against a bare hello endpoint.

Both run in the same gunicorn (the Procfile's settings), one after the other, with
wrk; the ratio home/hello is what to compare between runs and machines.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import gunicorn, prepare  # noqa: E402

DURATION = "5s"


def session_cookie(base: str) -> str:
    s = requests.Session()
    page = s.get(base + "/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = s.post(base + "/login", data={"csrf_token": token, "email": "buyer@demo.test",
                                      "password": "demo-pass-2026"}, allow_redirects=False)
    assert r.status_code == 303, r.status_code
    return "; ".join(f"{k}={v}" for k, v in s.cookies.items())


def wrk(url: str, cookie: str | None = None) -> float:
    args = ["wrk", "-t2", "-c16", "-d", DURATION, "--latency", url]
    if cookie:
        args[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"{url}: {non2xx.group(1)} failed responses\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (make bench installs it)")
    prepare()
    with gunicorn() as base:
        cookie = session_cookie(base)
        assert "王小明" in requests.get(base + "/", headers={"Cookie": cookie}).text, "not signed in"
        wrk(base + "/hello")  # warm-up
        hello = wrk(base + "/hello")
        home = wrk(base + "/", cookie)
    print(f"hello      {hello:10.0f} req/s")
    print(f"home page  {home:10.0f} req/s (signed in, PostgreSQL)")
    print(f"ratio home/hello = {home / hello:.2f}")


if __name__ == "__main__":
    main()
