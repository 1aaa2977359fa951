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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograd import Value, backward_page, write_backward_html
from nn.two_layer import TwoLayerNet

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

    def frame(self, index: int | None) -> None:
        """Switch into the index-th iframe of the page, or back to the page (None)."""
        if index is None:
            self.command("POST", "/frame/parent", {})
        else:
            self.command("POST", "/frame", {"id": index})

    def errors(self) -> list[str]:
        """The browser console's errors since the last call."""
        entries = self.command("POST", "/se/log", {"type": "browser"})
        return [e["message"] for e in entries if e["level"] == "SEVERE"]

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
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                f"--user-data-dir={tmp_path / 'profile'}"]
        options = {"binary": chromium, "args": args}
        session = web.call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options,
            "goog:loggingPrefs": {"browser": "ALL"}}}})
        web.session = session["sessionId"]
        try:
            yield web
        finally:
            web.command("DELETE", "")
    finally:
        driver_process.terminate()
        driver_process.wait(timeout=30)


SHOWN = """
const root = document.querySelector(".dg-steps");
const part = (name) => root.querySelector(".dg-" + name);
const box = (id) => root.querySelector('[id="' + id + '"]');
const grad = (id) => {
  const t = box(id).querySelectorAll("text");
  return t[t.length - 1].textContent;
};
const fill = (id) => box(id).querySelector("polygon").getAttribute("fill");
const red = (id) => box(id).querySelector("path").getAttribute("stroke") === "#dc2626";
return {step: root.dataset.step, hash: location.hash,
        counter: part("counter").textContent, text: part("text").textContent,
        w: grad("n0"), x: grad("n1"), n: grad("n4"), o: grad("n5"),
        wFill: fill("n0"), n2Fill: fill("n2"), hot: ["e2", "e2_0", "e2_1", "e5"].filter(red),
        nextDisabled: part("next").disabled, prevDisabled: part("prev").disabled};
"""


def neuron() -> Value:
    """o = tanh(w*x + b), the lecture's one-unit example."""
    w, x, b = Value(-3.0, label="w"), Value(2.0, label="x"), Value(6.88, label="b")
    n = w * x + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def test_stepping_the_backward_page(tmp_path: Path, browser: WebDriver) -> None:
    page = write_backward_html(neuron(), tmp_path / "steps.html")

    browser.command("POST", "/url", {"url": page.as_uri() + "#step=2"})
    shown = browser.script(SHOWN)
    assert shown["step"] == "2" and shown["counter"] == "step 2 of 5"
    assert shown["text"] == "∂o/∂n2 += ∂o/∂n · ∂n/∂n2 = 0.501 · 1 = 0.501"
    assert (shown["o"], shown["n"], shown["w"]) == ("grad 1", "grad 0.501", "grad ?")

    browser.click(".dg-next")  # step 3: b gets its gradient
    browser.click(".dg-next")  # step 4: the gradient of n2 flows to w
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
    browser.click(".dg-next")  # already at the end: stays
    assert browser.script(SHOWN)["step"] == "5"

    browser.key("\ue012")  # ArrowLeft
    browser.key("\ue012")
    shown = browser.script(SHOWN)
    assert shown["step"] == "3" and shown["w"] == "grad ?" and shown["hot"] == []

    browser.script('location.hash = "step=1"; return null;')  # a typed fragment
    deadline = time.monotonic() + 10  # the hashchange event comes asynchronously
    while (shown := browser.script(SHOWN))["step"] != "1" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert shown["step"] == "1" and shown["n"] == "grad 0.501" and shown["hot"] == ["e5"]
    assert shown["text"].startswith("∂o/∂n += ∂o/∂o · ∂o/∂n")

    browser.click(".dg-first")
    shown = browser.script(SHOWN)
    assert shown["step"] == "0" and shown["prevDisabled"] and shown["n"] == "grad ?"


def lecture_r_i() -> tuple[Value, Sequence[Value]]:
    """The lecture's R_i (nn.TwoLayerNet, p = 2, M = 3, K = 2, as demos/lecture.py draws it)."""
    net = TwoLayerNet(2, 3, 2, rng=np.random.default_rng(2009))
    r_i = net.loss(net.forward([0.8, -1.1]), [1.0, 0.2])
    r_i.label = "R_i"
    return r_i, net.parameters()


LABEL = """
const root = document.querySelector(".dg-steps");
const label = root.querySelector('[id="n0"] text').getBoundingClientRect();
return {label: label.height, scale: root.querySelector(".dg-scale").textContent,
        scrollable: root.querySelector(".dg-graph").scrollWidth >
                    root.querySelector(".dg-graph").clientWidth};
"""


def test_the_lecture_graph_keeps_readable_labels(tmp_path: Path, browser: WebDriver) -> None:
    """At a 1280 px window the 3000-pt-wide R_i graph is not shrunk to fit: it scrolls."""
    r_i, params = lecture_r_i()
    page = write_backward_html(r_i, tmp_path / "steps.html", parameters=params)
    browser.command("POST", "/url", {"url": page.as_uri()})
    opened = browser.script(LABEL)
    assert opened["label"] >= 9.0 and opened["scrollable"]
    browser.click(".dg-zoom-in")
    assert browser.script(LABEL)["label"] > opened["label"]
    browser.click(".dg-fit")  # asked for: the whole width, labels however small
    fitted = browser.script(LABEL)
    assert fitted["label"] < opened["label"] and not fitted["scrollable"]
    assert browser.errors() == []


def test_small_graphs_are_shown_at_natural_size(tmp_path: Path, browser: WebDriver) -> None:
    page = write_backward_html(neuron(), tmp_path / "steps.html")
    browser.command("POST", "/url", {"url": page.as_uri()})
    shown = browser.script(LABEL)
    assert shown["scale"] == "100%" and not shown["scrollable"]


STATE = """
const root = document.querySelector(".dg-steps");
return {step: root.dataset.step, hash: location.hash,
        counter: root.querySelector(".dg-counter").textContent};
"""


def test_two_pages_embedded_like_a_notebook(tmp_path: Path, browser: WebDriver) -> None:
    """Two inline pages in one parent: both scripts run, keys only when focused, no hash.

    Chromium's log reports errors of the parent page only, not of sandboxed frames: that
    each page's script ran to its end is checked by its state (step 0 shown, counter set).
    """
    page = backward_page(neuron())
    parent = tmp_path / "notebook.html"
    parent.write_text("<!DOCTYPE html><html><body><input class='cell'>" + page._repr_html_()
                      + page._repr_html_() + "</body></html>", encoding="utf-8")
    browser.command("POST", "/url", {"url": parent.as_uri()})
    history = browser.script("return history.length;")
    browser.key("\ue014")  # a page that took the focus when loaded would step now
    for index in (0, 1):
        browser.frame(index)
        assert browser.script(STATE) == {"step": "0", "hash": "", "counter": "step 0 of 5"}
        browser.frame(None)

    browser.frame(0)
    browser.click(".dg-next")
    browser.key("\ue014")  # ArrowRight, while this page has the focus
    assert browser.script(STATE) == {"step": "2", "hash": "", "counter": "step 2 of 5"}
    browser.frame(None)
    assert browser.script("return [location.hash, history.length];") == ["", history]

    browser.click(".cell")  # typing in the notebook: the pages must not step
    browser.key("\ue014")
    assert browser.script("return document.activeElement.className;") == "cell"
    for index, step in ((0, "2"), (1, "0")):
        browser.frame(index)
        assert browser.script(STATE)["step"] == step
        browser.frame(None)
    assert browser.script("return location.hash;") == ""
    assert browser.errors() == []


def test_missing_chromium_skips_on_a_laptop_and_fails_on_ci(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium chromium-driver"):
        find_programs()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium-driver"):
        find_programs()
