"""Screenshot the Prefect UI as an operator sees it after a batch: the flow-run page with its
artifacts, and the documents table.

    python docs/make_screenshots.py            # writes docs/ui-flow-run.png, docs/ui-documents.png

It installs Debian's `chromium` if missing (needs root, as on the project's machines), starts a
Prefect server on a free loopback port with a temporary PREFECT_HOME, runs the sample scans
(plus one truncated file, to show a quarantine) through `python -m flows run` against it, and
takes the screenshots with headless Chromium. Everything it starts is stopped at the end.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
SIZE = (1500, 1300)


def ensure_chromium() -> str:
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("chromium is missing: run `sudo apt-get install -y chromium`")
    subprocess.run(["apt-get", "update", "-q"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=True)
    return shutil.which("chromium") or sys.exit("chromium did not install")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """Headless Chromium driven over the DevTools protocol (as root in a container: no sandbox,
    no GPU, nothing phoned home). Clicking is needed: the flow-run page ignores ?tab= on load."""

    def __init__(self, chromium: str, profile: Path) -> None:
        port = free_port()
        self.proc = subprocess.Popen(
            [
                chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                f"--remote-debugging-port={port}", f"--window-size={SIZE[0]},{SIZE[1]}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        for _ in range(100):
            with contextlib.suppress(httpx.HTTPError):
                pages = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
                target = next(t for t in pages if t["type"] == "page")
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("chromium did not open its DevTools port")
        from websockets.sync.client import connect

        self.ws = connect(target["webSocketDebuggerUrl"], max_size=None)
        self.next_id = 0
        self.call("Emulation.setDeviceMetricsOverride",
                  width=SIZE[0], height=SIZE[1], deviceScaleFactor=1, mobile=False)  # fmt: skip

    def call(self, method: str, **params: object) -> dict[str, object]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))

    def js(self, expression: str) -> object:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return dict(result["result"]).get("value")  # type: ignore[call-overload]

    def wait_text(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not self.js(f"document.body && document.body.innerText.includes({text!r})"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the page never showed {text!r}")
            time.sleep(0.3)

    def open(self, url: str, wait_for: str) -> None:
        self.call("Page.navigate", url=url)
        self.wait_text(wait_for)

    def click(self, label: str) -> None:
        clicked = self.js(
            "(() => { const el = [...document.querySelectorAll('button, a, [role=tab], li')]"
            f".find(e => e.textContent.trim() === {label!r}); if (el) el.click(); return !!el; }})()"
        )
        if not clicked:
            raise RuntimeError(f"nothing to click labelled {label!r}")

    def shoot(self, target: Path, settle: float = 2.0) -> None:
        time.sleep(settle)  # charts and fonts
        data = self.call("Page.captureScreenshot", format="png")["data"]
        target.write_bytes(base64.b64decode(str(data)))
        print(f"wrote {target.relative_to(REPO)}")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


def main() -> None:
    chromium = ensure_chromium()
    with tempfile.TemporaryDirectory(prefix="ipd-shots-") as tmp_name:
        tmp = Path(tmp_name)
        port = free_port()
        api = f"http://127.0.0.1:{port}/api"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(PREFECT_HOME=str(tmp / "home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
                   DO_NOT_TRACK="1")  # fmt: skip
        # The UI asks the API at port 4200 unless told otherwise.
        server_env = {**env, "PREFECT_UI_API_URL": api}
        prefect = Path(sys.executable).with_name("prefect")
        server = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            for _ in range(240):
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                        break
                time.sleep(0.5)
            inbox = tmp / "scans"
            shutil.copytree(REPO / "sample_scans" / "documents", inbox)
            data = (REPO / "sample_scans" / "documents" / "us_10142403.png").read_bytes()
            (inbox / "truncated_scan.png").write_bytes(data[:4096])
            subprocess.run(
                [sys.executable, "-m", "flows", "run", str(inbox), "--out", str(tmp / "out")],
                cwd=REPO, env={**env, "PREFECT_API_URL": api}, check=True,
            )  # fmt: skip
            run = httpx.post(f"{api}/flow_runs/filter", json={"limit": 1}).json()[0]
            arts = httpx.post(
                f"{api}/artifacts/filter",
                json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}},
            ).json()
            table = next(a for a in arts if a["key"] == "ipdigitise-documents")
            summary = next(a for a in arts if a["key"] == "ipdigitise-summary")
            ui = f"http://127.0.0.1:{port}"
            browser = Browser(chromium, tmp / "profile")
            try:
                browser.open(f"{ui}/runs/flow-run/{run['id']}", wait_for="Task Runs")
                browser.click("Artifacts")
                browser.wait_text("ipdigitise-summary")
                browser.shoot(DOCS / "ui-flow-run.png")
                browser.open(f"{ui}/artifacts/artifact/{table['id']}", wait_for="us_10142403")
                browser.shoot(DOCS / "ui-documents.png")
                browser.open(f"{ui}/artifacts/artifact/{summary['id']}", wait_for="Batch summary")
                browser.shoot(DOCS / "ui-summary.png")
            finally:
                browser.close()
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
