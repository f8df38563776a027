"""What the browser tests stand on: React's UMD builds from npm, the test page's server, headless Chromium.

The page's server plays Stash's web server for the UI: `/plugin/<id>/javascript` and `/css` concatenate the files
the installed manifest's `ui:` block names (internal/api/routes_plugin.go `serveFiles`), `/graphql` is passed to the
Stash simulator (whose runPluginOperation runs the real plugin), and every other path is the page (Stash's UI
is a single-page app). Third-party JavaScript is never committed: React comes from the npm registry through
`npm pack` at pinned versions whose registry integrity is checked, into a cache folder outside git.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
VENDOR_DIR = Path(os.environ.get("STASH2PLEX_UI_VENDOR", REPO / ".cache" / "ui-vendor"))
# npm package tarballs: name@version -> (the registry's sha512 integrity, the UMD file the page loads)
REACT = {
    "react@18.3.1": ("sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
                     "react.production.min.js"),
    "react-dom@18.3.1": (
        "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
        "react-dom.production.min.js"),
}


class Missing(RuntimeError):
    """Something the browser tests need is not installed; the message says what and how to get it."""


def react_umd() -> Path:
    """The folder holding React's UMD builds, fetched with `npm pack` on first need."""
    if all((VENDOR_DIR / umd).is_file() for _, umd in REACT.values()):
        return VENDOR_DIR
    npm = shutil.which("npm")
    if npm is None:
        raise Missing("npm is not installed (apt-get install npm): it fetches React's UMD builds for the test page")
    VENDOR_DIR.mkdir(parents=True, exist_ok=True)
    for spec, (integrity, umd) in REACT.items():
        done = subprocess.run([npm, "pack", spec, "--pack-destination", str(VENDOR_DIR)], capture_output=True,
                              text=True, timeout=300)
        if done.returncode != 0:
            raise Missing(f"npm pack {spec} failed: {done.stderr.strip()[-500:]}")
        tarball = VENDOR_DIR / done.stdout.strip().splitlines()[-1]
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if digest != integrity:
            raise Missing(f"{tarball.name} does not have the registry's integrity {integrity}")
        with tarfile.open(tarball) as archive:
            member = archive.extractfile(f"package/umd/{umd}")
            (VENDOR_DIR / umd).write_bytes(member.read())
        tarball.unlink()
    return VENDOR_DIR


def browser_binaries() -> tuple[str, str]:
    """Debian's chromium and chromium-driver."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        raise Missing("Chromium is not installed (apt-get install chromium chromium-driver)")
    return chromium, driver


def start_browser():
    """One headless Chromium through Selenium, with the page's console kept for the tests to read."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = browser_binaries()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1100,1100"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


class PageServer:
    """The test page's origin; `stash_url` and `plugin_dir` are set by each test (one server per module)."""

    def __init__(self, vendor: Path) -> None:
        self.vendor = vendor
        self.stash_url = ""
        self.plugin_dir: Path | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def plugin_files(self, kind: str) -> bytes:
        manifest = yaml.safe_load((self.plugin_dir / "Stash2Plex.yml").read_text(encoding="utf-8"))
        return b"\n".join((self.plugin_dir / name).read_bytes() for name in (manifest.get("ui") or {}).get(kind, []))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(page: PageServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path.startswith("/vendor/") and (page.vendor / path[len("/vendor/"):]).is_file():
                self._send(200, (page.vendor / path[len("/vendor/"):]).read_bytes(), "text/javascript")
            elif path == "/standin.js":
                self._send(200, (HERE / "standin.js").read_bytes(), "text/javascript")
            elif path == "/plugin/Stash2Plex/javascript":
                self._send(200, page.plugin_files("javascript"), "text/javascript")
            elif path == "/plugin/Stash2Plex/css":
                self._send(200, page.plugin_files("css"), "text/css")
            else:
                self._send(200, (HERE / "index.html").read_bytes(), "text/html; charset=utf-8")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer = requests.post(f"{page.stash_url}/graphql", data=body, timeout=120,
                                   headers={"Content-Type": "application/json"})
            self._send(answer.status_code, answer.content, answer.headers.get("Content-Type", "application/json"))

    return Handler
