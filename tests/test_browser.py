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
        self.type(key)

    def type(self, keys: str) -> None:
        """Press and release each key in turn, as typed on a keyboard (to the focus)."""
        actions = [{"type": kind, "value": key} for key in keys for kind in ("keyDown", "keyUp")]
        self.command("POST", "/actions",
                     {"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})

    def window(self, width: int, height: int) -> None:
        self.command("POST", "/window/rect", {"width": width, "height": height})


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
    assert shown["text"] == "∂o/∂n2 += ∂o/∂n · ∂(n2 + b)/∂n2 = 0.501 · 1 = 0.501"
    assert (shown["o"], shown["n"], shown["w"]) == ("grad 1", "grad 0.501", "grad ?")

    browser.click(".dg-next")  # step 3: b gets its gradient
    browser.click(".dg-next")  # step 4: the gradient of n2 flows to w
    shown = browser.script(SHOWN)
    assert (shown["step"], shown["hash"]) == ("4", "#step=4")
    assert shown["text"] == "∂o/∂w += ∂o/∂n2 · ∂(w × x)/∂w = 0.501 · 2 = 1.002"
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
    assert shown["text"].startswith("∂o/∂n += ∂o/∂o · tanh′(n) = ")

    browser.click(".dg-first")
    shown = browser.script(SHOWN)
    assert shown["step"] == "0" and shown["prevDisabled"] and shown["n"] == "grad ?"


def lecture_r_i() -> tuple[Value, Sequence[Value]]:
    """The lecture's R_i: TwoLayerNet(2, 2, 1, rng=0) at x = (0.5, −1), y = 0.3 (issue 19)."""
    net = TwoLayerNet(2, 2, 1, rng=0)
    return net.loss(net.forward([0.5, -1.0]), [0.3]), net.parameters()


LABEL = """  // label: the smallest text's height in px (its font size, as drawn)
const root = document.querySelector(".dg-steps");
const graph = root.querySelector(".dg-graph");
const svg = graph.querySelector("svg");
const sizes = [...svg.querySelectorAll("text")].map((t) => Number(t.getAttribute("font-size")));
return {label: Math.min(...sizes) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width,
        scale: root.querySelector(".dg-scale").textContent,
        scrollable: graph.scrollWidth > graph.clientWidth,
        pageScrollable: document.documentElement.scrollWidth > window.innerWidth,
        width: window.innerWidth};
"""


def test_the_lecture_net_fits_a_1280_by_800_window(tmp_path: Path, browser: WebDriver) -> None:
    """Laid out for the window: no sideways scrolling, labels at least 10 px tall."""
    r_i, params = lecture_r_i()
    page = write_backward_html(r_i, tmp_path / "steps.html", parameters=params)
    browser.window(1280, 800)
    browser.command("POST", "/url", {"url": page.as_uri()})
    opened = browser.script(LABEL)
    assert opened["width"] == 1280
    assert opened["label"] >= 10.0 and not opened["scrollable"] and not opened["pageScrollable"]
    browser.click(".dg-zoom-in")
    assert browser.script(LABEL)["label"] > opened["label"]
    browser.click(".dg-fit")  # asked for: the whole width
    fitted = browser.script(LABEL)
    assert not fitted["scrollable"]
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


ASKED = """
const root = document.querySelector(".dg-steps");
const part = (name) => root.querySelector(".dg-" + name);
const grad = (id) => {
  const t = root.querySelector('[id="' + id + '"]').querySelectorAll("text");
  return t[t.length - 1].textContent;
};
return {step: root.dataset.step, text: part("text").textContent,
        asking: !part("ask").hidden && !part("answer").disabled,
        feedback: part("feedback").textContent, verdict: part("feedback").className,
        products: [...part("products").children].map((d) => d.textContent),
        score: part("score").textContent, focus: document.activeElement.className,
        n: grad("n4"), n2: grad("n2"), w: grad("n0"), next: part("next").disabled,
        hash: location.hash};
"""


def answer(browser: WebDriver, typed: str) -> dict[str, Any]:
    """Type an answer into the focused box and press Enter; the page's state after."""
    browser.type(typed + "\ue007")
    return browser.script(ASKED)


def test_the_exercise_checks_typed_gradients(tmp_path: Path, browser: WebDriver) -> None:
    """Keyboard only: → to step, type, Enter; right, wrong and malformed answers; the score."""
    page = write_backward_html(neuron(), tmp_path / "exercise.html", exercise=True)
    browser.command("POST", "/url", {"url": page.as_uri()})
    shown = browser.script(ASKED)
    assert shown["step"] == "0" and shown["score"] == ("right so far: 0 of 0 answered "
                                                       "(5 questions)")
    browser.key("\ue014")  # →: step 1 asks for ∂o/∂n, and the answer box takes the keys
    shown = browser.script(ASKED)
    assert shown["asking"] and shown["focus"] == "dg-answer" and shown["next"]
    assert shown["text"] == "∂o/∂n = ∂o/∂o · tanh′(n) = ?" and shown["n"] == "grad ?"
    browser.key("\ue014")  # the answer box keeps → for itself: still step 1
    shown = answer(browser, "abc")
    assert shown["step"] == "1" and shown["asking"] and "dg-bad" in shown["verdict"]
    assert shown["feedback"] == "“abc” is not a number: type a decimal such as 0.25 or -1.5e-3"
    shown = answer(browser, "\ue003" * 3)  # backspace: nothing typed
    assert shown["asking"] and shown["feedback"] == "type a number first, such as 0.25 or -1.5e-3"
    shown = answer(browser, "0.501")  # 0.50097: within 0.1 %
    assert (shown["feedback"], shown["verdict"]) == ("right: ∂o/∂n = 0.501",
                                                     "dg-feedback dg-right")
    assert shown["n"] == "grad 0.501" and not shown["asking"] and not shown["next"]
    assert shown["text"] == "∂o/∂n += ∂o/∂o · tanh′(n) = 1 · 0.501 = 0.501"

    browser.key("\ue007")  # Enter (the box has let go of the focus): on to step 2, ∂o/∂n2
    shown = answer(browser, "0.6")
    assert shown["step"] == "2" and "dg-wrong" in shown["verdict"]
    assert shown["feedback"] == ("wrong: you typed 0.6; ∂o/∂n2 = 0.501, the sum of its "
                                 "chain-rule products:")
    assert shown["products"] == ["∂o/∂n · ∂(n2 + b)/∂n2 = 0.501 · 1 = 0.501"]
    assert shown["n2"] == "grad 0.501" and shown["score"].startswith("right so far: 1 of 2")

    for typed in ("0.501", "1.002"):  # b (step 3), w (step 4)
        browser.key("\ue014")
        assert "dg-right" in answer(browser, typed)["verdict"]
    browser.key("\ue014")
    shown = answer(browser, "-1.5029")  # x (step 5), the last
    assert shown["step"] == "5" and "dg-right" in shown["verdict"]
    assert shown["score"] == "Score: 4 of 5 right" and shown["hash"] == "#step=5"
    browser.key("\ue012")  # ← goes back over answered steps; their answers stay
    shown = browser.script(ASKED)
    assert shown["step"] == "4" and shown["feedback"] == "right: ∂o/∂w = 1.002"
    assert browser.errors() == []


def test_the_exercise_accepts_the_value_from_the_numbers_shown(tmp_path: Path,
                                                                browser: WebDriver) -> None:
    """x gets 1.23456 − 1.234 = 0.00056; from the 4 digits shown, 1.235 − 1.234 = 0.001."""
    x = Value(2.0, label="x")
    y = x * 1.23456 - x * 1.234
    page = write_backward_html(y, tmp_path / "exercise.html", exercise=True)
    browser.command("POST", "/url", {"url": page.as_uri() + "#step=9"})  # stops at step 1
    assert browser.script(ASKED)["step"] == "1"
    assert "dg-right" in answer(browser, "1")["verdict"]  # ∂y/∂n2
    browser.key("\ue014")
    assert "dg-right" in answer(browser, "-1")["verdict"]  # ∂y/∂n4
    browser.type("\ue014\ue014")  # step 3 passes a share to x; step 4 completes it
    shown = answer(browser, "0.001")
    assert "dg-right" in shown["verdict"] and shown["score"] == "Score: 3 of 3 right"


def test_the_exercise_works_in_the_notebooks_sandboxed_iframe(tmp_path: Path,
                                                               browser: WebDriver) -> None:
    page = backward_page(neuron(), exercise=True)
    parent = tmp_path / "notebook.html"
    parent.write_text("<!DOCTYPE html><html><body><input class='cell'>" + page._repr_html_()
                      + "</body></html>", encoding="utf-8")
    browser.command("POST", "/url", {"url": parent.as_uri()})
    browser.frame(0)
    browser.click(".dg-next")
    shown = answer(browser, "0.501")
    assert shown["step"] == "1" and "dg-right" in shown["verdict"] and shown["hash"] == ""
    browser.key("\ue014")
    assert "dg-wrong" in answer(browser, "5")["verdict"]
    browser.frame(None)
    assert browser.script("return location.hash;") == ""


INJECT = """<!DOCTYPE html><html><head><title>notebook</title></head><body>
<input class="cell"><div class="output"></div>
<script type="application/json" id="page">{page}</script>
<script>
// What a notebook does with display(HTML(...)): the page's HTML goes into an output area
// of the notebook's own document and its scripts are run again.
const out = document.querySelector(".output");
out.innerHTML = JSON.parse(document.getElementById("page").textContent);
for (const old of out.querySelectorAll("script")) {{
  const fresh = document.createElement("script");
  for (const a of old.attributes) fresh.setAttribute(a.name, a.value);
  fresh.textContent = old.textContent;
  old.replaceWith(fresh);
}}
</script></body></html>"""


def test_a_page_put_into_another_document_stays_scoped(tmp_path: Path,
                                                      browser: WebDriver) -> None:
    """display(HTML(page.html)): no keys of the notebook taken, no #step= in its address."""
    page = backward_page(neuron()).html
    parent = tmp_path / "notebook.html"
    parent.write_text(INJECT.format(page=json.dumps(page).replace("</", "<\\/")),
                      encoding="utf-8")
    browser.command("POST", "/url", {"url": parent.as_uri()})
    history = browser.script("return history.length;")
    assert browser.script(STATE) == {"step": "0", "hash": "", "counter": "step 0 of 5"}
    browser.click(".cell")  # typing in the notebook: the page must not step
    browser.key("\ue014")
    browser.key("\ue007")
    assert browser.script(STATE)["step"] == "0"
    browser.click(".dg-next")  # its own buttons, and keys while it has the focus, work
    browser.key("\ue014")
    assert browser.script(STATE) == {"step": "2", "hash": "", "counter": "step 2 of 5"}
    assert browser.script("return [location.hash, history.length, document.title];") == [
        "", history, "notebook"]
    assert browser.errors() == []
