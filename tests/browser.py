"""Helpers for driving the real app in Chromium: start the Streamlit server, launch the browser, wait, draw, type.

Used by tests/test_browser.py and docs/screenshots.py. The server binds to
127.0.0.1 on a free port. The browser is Debian's Chromium at /usr/bin/chromium,
driven through Playwright's sync API; nothing here downloads a browser.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 720}

SERVER_START_TIMEOUT_S = 60
SERVER_STOP_TIMEOUT_S = 10
APP_RUN_TIMEOUT_MS = 90_000  # generous, because a page's first run loads its model and busy CPUs slow that down
IDLE_SETTLE_S = 0.75  # how long the app must stay idle before it counts as finished

# Selectors. The canvas and its toolbar live in the drawable-canvas component's open shadow root.
# Playwright's CSS selectors reach into it, but document.querySelector does not.
CANVAS = "canvas.upper-canvas"  # Fabric.js's top canvas, which receives the mouse events
CLEAR_BUTTON = "button[aria-label='Reset canvas & history']"  # the trash button of the canvas toolbar
EXCEPTION = "[data-testid='stException']"
INFO = "[data-testid='stAlertContentInfo']"
PLOTLY_CHART = "[data-testid='stPlotlyChart']"
REVIEW_BOX = "textarea[aria-label^='Review (']"
TOKEN_LINE = "div.token-line"  # reviews page: the tokens read
# The heading that app_pages.common.big_prediction writes, in a container whose key becomes a class.
PRESENTER_PREDICTION = "div.st-key-big_prediction_presenter h1"  # the larger one of presenter mode
BIG_PREDICTION = "div[class*='st-key-big_prediction'] h1"
RETRAINED_MESSAGE = re.compile(r"^Retrained \d+ epochs? on \d+ samples")  # the sidebar's success message


# ---------------------------------------------------------------- server


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `streamlit run streamlit_app.py` from the repository root, with its output going to log_path."""
    command = [
        sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        # With no file watcher, Streamlit does not re-import edited modules on the next rerun. A re-import during a
        # test run redefines classes, so objects that st.cache_resource still holds fail isinstance checks.
        "--server.fileWatcherType", "none",
    ]
    with open(log_path, "wb") as log:
        return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)


def wait_for_health(base_url: str, process: subprocess.Popen, log_path: Path,
                    timeout_s: float = SERVER_START_TIMEOUT_S) -> None:
    """Poll /_stcore/health until it returns 200, and raise with the server log if the server exits or times out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Streamlit server exited with code {process.returncode}:\n{log_tail(log_path)}")
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.2)
    raise TimeoutError(f"{base_url}/_stcore/health did not answer within {timeout_s} s:\n{log_tail(log_path)}")


def stop_server(process: subprocess.Popen, timeout_s: float = SERVER_STOP_TIMEOUT_S) -> None:
    """Terminate the server, and kill it if it is still running after timeout_s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout_s)


def log_tail(log_path: Path, characters: int = 3000) -> str:
    try:
        return log_path.read_text(errors="replace")[-characters:]
    except OSError as error:
        return f"(server log {log_path} is unreadable: {error})"


@contextlib.contextmanager
def running_app(log_path: Path):
    """Start the app on a free port, yield its base URL, and stop the server on exit.

    Models saved from the sidebar go to a folder next to log_path, so the app never lists the user's own.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, LSTM_DEMO_USER_MODELS=str(log_path.parent / "user_models"))
    process = start_server(port, log_path, env)
    try:
        wait_for_health(base_url, process, log_path)
        yield base_url
    finally:
        stop_server(process)


# ---------------------------------------------------------------- browser


def launch_chromium(playwright):
    """Launch Debian's headless Chromium through a Playwright instance from sync_playwright()."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def is_local_request(url: str, base_url: str) -> bool:
    """Whether url goes to the app server at base_url (HTTP or WebSocket) or is a data: or blob: URL.

    data: and blob: URLs never leave the browser.
    """
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob"):
        return True
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}" == base_url


def app_state(page) -> dict:
    """Streamlit's script-run and connection states, and whether the "Running..." icon shows.

    The states come from the data-test-* attributes that Streamlit's frontend sets on its root
    element for its own end-to-end tests ("notRunning", "running", "rerunRequested", ...).
    """
    return page.evaluate(
        """() => {
            const app = document.querySelector("[data-testid='stApp']");
            return {
                script: app ? app.getAttribute("data-test-script-state") : null,
                connection: app ? app.getAttribute("data-test-connection-state") : null,
                running_icon: document.querySelector("[data-testid='stStatusWidgetRunningIcon']") !== null,
            };
        }"""
    )


def wait_until_idle(page, timeout_ms: int = APP_RUN_TIMEOUT_MS, settle_s: float = IDLE_SETTLE_S) -> None:
    """Wait until the script has stopped running and the running icon is gone, for settle_s without a break.

    The settle time covers the moment between a widget change and the rerun it requests.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    idle_since = None
    state = {}
    while time.monotonic() < deadline:
        state = app_state(page)
        idle = state["script"] == "notRunning" and not state["running_icon"]
        if not idle:
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since >= settle_s:
            return
        page.wait_for_timeout(100)
    raise TimeoutError(f"the app was still busy after {timeout_ms} ms (last state {state})")


def open_page(page, url: str, ready_selector: str) -> None:
    """Load url, then wait for ready_selector to be visible and for the app's first run to finish."""
    page.goto(url)
    page.locator(ready_selector).first.wait_for(state="visible", timeout=APP_RUN_TIMEOUT_MS)
    wait_until_idle(page)


def wait_for_charts(page, timeout_ms: int = APP_RUN_TIMEOUT_MS) -> None:
    """Wait until every Plotly chart has drawn its SVG, which Plotly does after the script run has finished."""
    page.wait_for_function(
        """(selector) => [...document.querySelectorAll(selector)]
            .every(chart => chart.querySelector("svg.main-svg") !== null)""",
        arg=PLOTLY_CHART,
        timeout=timeout_ms,
    )


# ---------------------------------------------------------------- digits page


def draw_vertical_stroke(page) -> None:
    """Drag the mouse down the middle of the canvas, the way a user draws a 1."""
    box = page.locator(CANVAS).first.bounding_box()
    x = box["x"] + box["width"] / 2
    top = box["y"] + box["height"] * 0.2
    bottom = box["y"] + box["height"] * 0.8
    page.mouse.move(x, top)
    page.mouse.down()
    steps = 12
    for index in range(1, steps + 1):
        page.mouse.move(x, top + (bottom - top) * index / steps)
    page.mouse.up()


def clear_canvas(page) -> None:
    """Press the trash button of the canvas toolbar, which shows while the mouse is over the canvas."""
    page.locator(CANVAS).first.hover()
    page.locator(CLEAR_BUTTON).first.click()


def big_prediction_text(page, timeout_ms: int = APP_RUN_TIMEOUT_MS) -> str:
    """Wait for the big prediction that common.big_prediction writes, and return its text."""
    prediction = page.locator(BIG_PREDICTION).first
    prediction.wait_for(state="visible", timeout=timeout_ms)
    return prediction.inner_text().strip()


def wait_for_prediction(page, expected: str, timeout_ms: int = APP_RUN_TIMEOUT_MS) -> None:
    """Wait until the big prediction reads `expected`, which shows that the rerun after an input has finished."""
    page.wait_for_function(
        """([selector, expected]) => [...document.querySelectorAll(selector)]
            .some(element => element.innerText.trim() === expected)""",
        arg=[BIG_PREDICTION, expected],
        timeout=timeout_ms,
    )


# ---------------------------------------------------------------- reviews page


def submit_review(page, review: str) -> None:
    """Type the review and press Ctrl+Enter, which sends the text area's value to the app."""
    box = page.locator(REVIEW_BOX)
    box.fill(review)
    box.press("Control+Enter")


def wait_for_token_line(page, text: str, timeout_ms: int = APP_RUN_TIMEOUT_MS) -> None:
    """Wait until the line of tokens contains text, which shows that the rerun for a new review has finished."""
    page.wait_for_function(
        """([selector, text]) => [...document.querySelectorAll(selector)]
            .some(element => element.innerText.includes(text))""",
        arg=[TOKEN_LINE, text],
        timeout=timeout_ms,
    )


def first_gallery_entry() -> dict:
    """Return the first digit in the shipped gallery: its id (for `?example=`), label and recorded prediction."""
    sys.path.insert(0, str(ROOT))
    from lstm_demo import gallery

    return gallery.load_gallery()["digits"][0]


def first_gallery_digit() -> str:
    """Id of the first digit in the shipped gallery, for opening the digits page with `?example=`."""
    return first_gallery_entry()["id"]
