"""Stepper.to_html in a real browser: headless Chromium, driven over the DevTools protocol.

The key presses and clicks are real input events (Input.dispatchKeyEvent and
Input.dispatchMouseEvent), not a script calling the page's handlers.  The DevTools client
is the standard library only: a minimal WebSocket (RFC 6455) client and JSON messages.
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from demos import draw_graph
from engine import Stepper

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",  # Chromium picks a free port and writes it to DevToolsActivePort
]


class WebSocket:
    """Just enough of a WebSocket client for the DevTools protocol: text frames, masked, no extensions."""

    def __init__(self, url: str, timeout: float = 30.0):
        parts = urlparse(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        response = b""
        while b"\r\n\r\n" not in response:
            response += self.sock.recv(1)
        assert response.startswith(b"HTTP/1.1 101"), response

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("the browser closed the DevTools connection")
            data += chunk
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            header = bytes([0x80 | opcode, 0x80 | n])
        elif n < 1 << 16:
            header = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
        else:
            header = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
        mask = os.urandom(4)  # a client must mask every frame it sends
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send(self, text: str) -> None:
        self._send_frame(0x1, text.encode())

    def recv(self) -> str:
        message = b""
        while True:
            first, second = self._read(2)
            n = second & 0x7F
            if n == 126:
                n = int.from_bytes(self._read(2), "big")
            elif n == 127:
                n = int.from_bytes(self._read(8), "big")
            payload = self._read(n)  # servers do not mask
            opcode = first & 0x0F
            if opcode == 0x9:  # ping
                self._send_frame(0xA, payload)
            elif opcode == 0x8:
                raise ConnectionError("the browser closed the DevTools connection")
            elif opcode in (0x0, 0x1):
                message += payload
                if first & 0x80:  # the last fragment
                    return message.decode()

    def close(self) -> None:
        self.sock.close()


class DevTools:
    """Send a DevTools command, wait for its answer (events in between are skipped)."""

    def __init__(self, url: str):
        self.ws = WebSocket(url)
        self.last_id = 0

    def call(self, method: str, **params):
        self.last_id += 1
        self.ws.send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def press(self, key: str, code: int) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=code)

    def click(self, selector: str) -> None:
        box = self.evaluate(f"(() => {{ const r = document.querySelector('{selector}').getBoundingClientRect();"
                            f" return [r.x + r.width / 2, r.y + r.height / 2]; }})()")  # fmt: skip
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The lecture's walkthrough open in headless Chromium, and a DevTools connection to it."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is needed for this test: apt-get install chromium (see .ci/setup)")
    folder = tmp_path_factory.mktemp("browser")
    o = draw_graph.lecture_neuron()
    o.zero_grad()
    html = Stepper(o).to_html(folder / "walk.html")
    profile = folder / "profile"
    browser = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", html.as_uri()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    devtools = None
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            assert browser.poll() is None, "Chromium exited before it opened its DevTools port"
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port within 60 s"
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
                targets = [t for t in json.load(answer) if t["type"] == "page" and t["url"].endswith("walk.html")]
            if targets:
                break
            assert time.monotonic() < deadline, "the page did not open within 60 s"
            time.sleep(0.1)
        devtools = DevTools(targets[0]["webSocketDebuggerUrl"])
        # The tab starts on an empty document that is already 'complete': wait for ours.
        loaded = "document.readyState === 'complete' && location.href.endsWith('walk.html')"
        while not devtools.evaluate(loaded):
            assert time.monotonic() < deadline, "the page did not finish loading within 60 s"
            time.sleep(0.1)
        yield devtools
    finally:
        if devtools is not None:
            devtools.ws.close()
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()


SHOWN = """(() => {
  const shown = [...document.querySelectorAll('.frame')].filter(f => f.getClientRects().length > 0);
  return shown.map(f => ({
    id: f.id,
    svgWidth: f.querySelector('svg').getBoundingClientRect().width,
    text: f.querySelector('pre').innerText,
    counter: document.getElementById('counter').innerText,
  }));
})()"""


def test_the_first_frame_shows_then_the_right_arrow_and_the_buttons_move_between_steps(page):
    shown = page.evaluate(SHOWN)
    assert [f["id"] for f in shown] == ["step-1"]  # one frame on screen, the first
    assert shown[0]["svgWidth"] > 100  # the picture is drawn, not just present
    assert shown[0]["text"].startswith("o = tanh(n): dL/dn += dL/do * do/dn")
    assert shown[0]["counter"] == "step 1 of 5"

    page.press("ArrowRight", 39)
    shown = page.evaluate(SHOWN)
    assert [f["id"] for f in shown] == ["step-2"]
    assert shown[0]["text"].startswith("n = (x1*w1 + x2*w2) + b:")
    assert shown[0]["counter"] == "step 2 of 5"

    page.press("ArrowLeft", 37)
    assert [f["id"] for f in page.evaluate(SHOWN)] == ["step-1"]
    page.press("ArrowLeft", 37)  # no step before the first
    assert [f["id"] for f in page.evaluate(SHOWN)] == ["step-1"]

    page.click("#next")
    page.click("#next")
    assert [f["id"] for f in page.evaluate(SHOWN)] == ["step-3"]
    page.click("#previous")
    assert [f["id"] for f in page.evaluate(SHOWN)] == ["step-2"]
