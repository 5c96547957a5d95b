"""Load and long-session checks of the real app on 127.0.0.1.

    python benchmarks/load_test.py [--sessions 20] [--rounds 3] [--reruns 500]

1. Starts the Streamlit server on a free loopback port and drives `--sessions`
   concurrent headless Chromium sessions (one browser context each). Each one
   opens a digits example or types a review and waits for the prediction,
   `--rounds` times; the time from input to shown prediction, errors and the
   server's memory are recorded.
2. One session retrains the digits model with the sidebar's defaults (1 epoch
   on 5,000 images) while 10 others keep predicting; every session must
   finish without an error.
3. `--reruns` reruns of each page in one AppTest session, in this process:
   the memory growth and whether any Keras layers were created.

Writes benchmarks/results/load_test.json. All traffic stays on 127.0.0.1,
every loop is bounded, and the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import psutil  # noqa: E402

from lstm_demo import gallery  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "load_test.json"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]
PREDICTION = re.compile(r"^probability \d")
REVIEWS = ["a wonderful film", "dull and far too long", "not bad at all", "the acting was great but the plot was weak"]


# How long one session waits for a page or a prediction. The 20 Chromium processes that play the
# viewers run on the same 2 cores as the server: the p95 of one step was 161 s in one run, 220 s in another.
WAIT_MS = 300_000

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    environment = dict(os.environ, LSTM_DEMO_USER_MODELS=str(ROOT / "build" / "load-test-models"))
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"the Streamlit server on port {port} did not answer within 60 s")


def server_memory_mb(server: subprocess.Popen) -> float:
    return psutil.Process(server.pid).memory_info().rss / 2**20


def shown_exception(page) -> str | None:
    """The first lines of an exception Streamlit shows on the page, or None."""
    exceptions = page.locator("[data-testid='stException']")
    if exceptions.count() == 0:
        return None
    return " | ".join(exceptions.first.inner_text().splitlines()[:6])


def session_worker(browser, base: str, index: int, rounds: int, timings: list, errors: list, stop: threading.Event):
    """One viewer: alternately a digits example and a typed review, reading each prediction."""
    digits = gallery.load_gallery()["digits"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        for round_number in range(rounds):
            if stop.is_set():
                break
            if (index + round_number) % 2 == 0:
                entry = digits[(index + round_number) % len(digits)]
                started = time.perf_counter()
                page.goto(f"{base}/?example={entry['id']}")
                page.get_by_text(PREDICTION).first.wait_for(timeout=WAIT_MS)
            else:
                page.goto(f"{base}/reviews")
                box = page.get_by_label(re.compile("^Review \\("))
                box.wait_for(timeout=WAIT_MS)
                page.get_by_text(PREDICTION).first.wait_for(timeout=WAIT_MS)
                box.fill(REVIEWS[(index + round_number) % len(REVIEWS)] + f" {round_number}")
                started = time.perf_counter()
                box.press("Control+Enter")
                page.wait_for_timeout(300)  # let the rerun start before waiting for it to finish
                page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=WAIT_MS)
                page.get_by_text(PREDICTION).first.wait_for(timeout=WAIT_MS)
            timings.append(time.perf_counter() - started)
            exception = shown_exception(page)
            if exception:
                errors.append(f"session {index}, round {round_number}: {exception}")
    except Exception as error:  # a timeout or a crash is an error of the run, not of this script
        errors.append(f"session {index}: {type(error).__name__}: {str(error).splitlines()[0]}")
    finally:
        context.close()


def viewer_in_own_browser(index, base, rounds, timings, errors, stop) -> None:
    """Run `session_worker` in a Chromium of its own: Playwright's sync API serves one thread."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            session_worker(browser, base, index, rounds, timings, errors, stop)
        finally:
            browser.close()


def concurrent_viewers(base: str, sessions: int, rounds: int) -> dict:
    timings: list[float] = []
    errors: list[str] = []
    stop = threading.Event()

    threads = [
        threading.Thread(target=viewer_in_own_browser, args=(index, base, rounds, timings, errors, stop))
        for index in range(sessions)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
        time.sleep(0.5)  # stagger the browser launches
    for thread in threads:
        thread.join(timeout=900)
    stop.set()
    ordered = sorted(timings)
    return {
        "sessions": sessions,
        "rounds": rounds,
        "predictions": len(timings),
        "errors": errors,
        "p50_s": round(statistics.median(ordered), 2) if ordered else None,
        "p95_s": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2) if ordered else None,
        "wall_s": round(time.perf_counter() - started, 1),
    }


def retrain_while_predicting(base: str, viewers: int, rounds: int) -> dict:
    """One session retrains while `viewers` others predict; counts errors on both sides."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    timings: list[float] = []
    stop = threading.Event()
    trainer_result = {}

    def trainer():
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(WAIT_MS)
            try:
                page.goto(f"{base}/?example={gallery.load_gallery()['digits'][0]['id']}")
                page.get_by_text(PREDICTION).first.wait_for(timeout=WAIT_MS)
                page.get_by_role("button", name="Retrain").click()
                started = time.perf_counter()
                page.get_by_text(re.compile(r"^Retrained \d+ epoch")).wait_for(timeout=600_000)
                trainer_result["seconds"] = round(time.perf_counter() - started, 1)
                exception = shown_exception(page)
                if exception:
                    errors.append(f"trainer: {exception}")
            except Exception as error:
                errors.append(f"trainer: {type(error).__name__}: {str(error).splitlines()[0]}")
            finally:
                browser.close()

    viewer_arguments = (base, rounds, timings, errors, stop)
    threads = [threading.Thread(target=trainer)] + [
        threading.Thread(target=viewer_in_own_browser, args=(index, *viewer_arguments)) for index in range(viewers)
    ]
    for thread in threads:
        thread.start()
        time.sleep(0.5)
    for thread in threads:
        thread.join(timeout=900)
    stop.set()
    return {"viewers": viewers, "predictions": len(timings), "errors": errors,
            "p50_s": round(statistics.median(timings), 2) if timings else None, "trainer": trainer_result}


def long_session(reruns: int) -> dict:
    """Memory growth over many reruns of each page in one AppTest session, and Keras objects created."""
    import numpy as np
    from streamlit.testing.v1 import AppTest

    process = psutil.Process()
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    app.run()
    entries = gallery.load_gallery()["digits"]
    results = {}
    for page in ("digits", "reviews"):
        if page == "reviews":
            app.switch_page("app_pages/reviews.py")
            app.run()
        for warm_up in range(10):
            app.run()
        before = process.memory_info().rss / 2**20
        for index in range(reruns):
            if page == "digits":
                app.session_state["digits_loaded_pixels"] = np.asarray(entries[index % len(entries)]["pixels"]) / 255.0
                app.run()
            else:
                app.text_area(key="reviews_text").input(REVIEWS[index % len(REVIEWS)] + f" {index}").run()
            if app.exception:
                results[f"{page}_error"] = str(app.exception[0].value)
                break
        after = process.memory_info().rss / 2**20
        results[f"{page}_growth_mb"] = round(after - before, 1)
    keras_loaded = "keras" in sys.modules
    results["keras_imported"] = keras_loaded
    results["reruns"] = reruns
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions")
    parser.add_argument("--rounds", type=int, default=3, help="predictions per session")
    parser.add_argument("--reruns", type=int, default=500, help="reruns of each page in the long session")
    args = parser.parse_args()

    port = free_port()
    server = start_server(port)
    base = f"http://127.0.0.1:{port}"
    results = {"date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count()}
    try:
        results["memory_start_mb"] = round(server_memory_mb(server), 1)
        results["concurrent"] = concurrent_viewers(base, args.sessions, args.rounds)
        results["memory_after_concurrent_mb"] = round(server_memory_mb(server), 1)
        results["retrain_while_predicting"] = retrain_while_predicting(base, 10, args.rounds)
        results["memory_end_mb"] = round(server_memory_mb(server), 1)
    finally:
        server.terminate()
        server.wait(30)
    results["long_session"] = long_session(args.reruns)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    failed = results["concurrent"]["errors"] or results["retrain_while_predicting"]["errors"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
