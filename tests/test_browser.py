"""The step-by-step backward page, opened in headless Chromium and stepped like a user would.

Drives Debian's ``chromium`` through ``chromedriver`` with the W3C WebDriver protocol
(plain HTTP + JSON, so no extra Python package). Never downloads a driver.
Without Chromium the test is skipped on a laptop and fails on CI (``CI`` is set).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autograd import Value, write_backward_html

INSTALL_HINT = ("headless Chromium is needed for this test: install the Debian packages "
                "`chromium` and `chromium-driver` (sudo apt-get install chromium "
                "chromium-driver); it runs on CI")


def find_programs() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser and driver:
        return browser, driver
    if os.environ.get("CI"):
        pytest.fail(INSTALL_HINT)
    pytest.skip(INSTALL_HINT)


class WebDriver:
    """The few WebDriver commands the test needs."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.session = ""

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as e:
            with e:
                raise AssertionError(f"WebDriver {method} {path}: {e.read()!r}") from None

    def command(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.call(method, f"/session/{self.session}{path}", body)

    def script(self, source: str) -> Any:
        return self.command("POST", "/execute/sync", {"script": source, "args": []})

    def click(self, css: str) -> None:
        element = self.command("POST", "/element", {"using": "css selector", "value": css})
        self.command("POST", f"/element/{next(iter(element.values()))}/click", {})

    def key(self, key: str) -> None:
        actions = [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]
        self.command("POST", "/actions",
                     {"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    chromium, chromedriver = find_programs()
    port = free_port()
    driver_process = subprocess.Popen([chromedriver, f"--port={port}"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    web = WebDriver(port)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if web.call("GET", "/status").get("ready"):
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError("chromedriver did not start within 30 s")
            time.sleep(0.1)
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1200,800",
                f"--user-data-dir={tmp_path / 'profile'}"]
        options = {"binary": chromium, "args": args}
        session = web.call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options}}})
        web.session = session["sessionId"]
        try:
            yield web
        finally:
            web.command("DELETE", "")
    finally:
        driver_process.terminate()
        driver_process.wait(timeout=30)


SHOWN = """
const box = (id) => document.getElementById(id);
const grad = (id) => {
  const t = box(id).querySelectorAll("text");
  return t[t.length - 1].textContent;
};
const fill = (id) => box(id).querySelector("polygon").getAttribute("fill");
const red = (id) => box(id).querySelector("path").getAttribute("stroke") === "#dc2626";
return {step: document.body.dataset.step, hash: location.hash,
        counter: box("counter").textContent, text: box("text").textContent,
        w: grad("n0"), x: grad("n1"), n: grad("n4"), o: grad("n5"),
        wFill: fill("n0"), n2Fill: fill("n2"), hot: ["e2", "e2_0", "e2_1", "e5"].filter(red),
        nextDisabled: box("next").disabled, prevDisabled: box("prev").disabled};
"""


def test_stepping_the_backward_page(tmp_path: Path, browser: WebDriver) -> None:
    w, x, b = Value(-3.0, label="w"), Value(2.0, label="x"), Value(6.88, label="b")
    n = w * x + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    page = write_backward_html(o, tmp_path / "steps.html")

    browser.command("POST", "/url", {"url": page.as_uri() + "#step=2"})
    shown = browser.script(SHOWN)
    assert shown["step"] == "2" and shown["counter"] == "step 2 of 5"
    assert shown["text"] == "∂o/∂n2 += ∂o/∂n · ∂n/∂n2 = 0.501 · 1 = 0.501"
    assert (shown["o"], shown["n"], shown["w"]) == ("grad 1", "grad 0.501", "grad ?")

    browser.click("#next")  # step 3: b gets its gradient
    browser.click("#next")  # step 4: the gradient of n2 flows to w
    shown = browser.script(SHOWN)
    assert (shown["step"], shown["hash"]) == ("4", "#step=4")
    assert shown["text"] == "∂o/∂w += ∂o/∂n2 · ∂n2/∂w = 0.501 · 2 = 1.002"
    assert (shown["w"], shown["x"]) == ("grad 1.002", "grad ?")
    assert (shown["wFill"], shown["n2Fill"]) == ("#fde047", "#fdba74")
    assert shown["hot"] == ["e2", "e2_0"]

    browser.key("\ue014")  # ArrowRight: the last step, x
    shown = browser.script(SHOWN)
    assert shown["step"] == "5" and shown["x"] == "grad -1.503"
    assert shown["nextDisabled"] and not shown["prevDisabled"]
    browser.click("#next")  # already at the end: stays
    assert browser.script(SHOWN)["step"] == "5"

    browser.key("\ue012")  # ArrowLeft
    browser.key("\ue012")
    shown = browser.script(SHOWN)
    assert shown["step"] == "3" and shown["w"] == "grad ?" and shown["hot"] == []

    browser.script('location.hash = "step=1"; return null;')  # a typed fragment
    time.sleep(0.2)
    shown = browser.script(SHOWN)
    assert shown["step"] == "1" and shown["n"] == "grad 0.501" and shown["hot"] == ["e5"]
    assert shown["text"].startswith("∂o/∂n += ∂o/∂o · ∂o/∂n")

    browser.click("#first")
    shown = browser.script(SHOWN)
    assert shown["step"] == "0" and shown["prevDisabled"] and shown["n"] == "grad ?"


def test_missing_chromium_skips_on_a_laptop_and_fails_on_ci(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium chromium-driver"):
        find_programs()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium-driver"):
        find_programs()
