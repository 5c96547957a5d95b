"""Save screenshots of both pages at 1280x720, after a drawing or a review, in normal and presenter mode.

Starts its own Streamlit server on 127.0.0.1 and drives Debian's Chromium with
the helpers of the browser tests (tests/browser.py). Writes digits.png,
digits-presenter.png, reviews.png and reviews-presenter.png into docs/screenshots/.

    python docs/screenshots.py              # the first 1280x720 of each page, as a user sees it
    python docs/screenshots.py --full-page  # also *-full.png: the whole page at 1280 pixels wide
"""

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import browser  # noqa: E402  (tests/browser.py, importable once tests/ is on the path)

OUTPUT = ROOT / "docs" / "screenshots"
REVIEW = "The first half is slow and the dialogue is weak, but the ending is beautiful and the music is great."


def draw_digit(page, base_url: str, query: str) -> None:
    browser.open_page(page, f"{base_url}/{query}", browser.CANVAS)
    browser.draw_vertical_stroke(page)
    browser.big_prediction_text(page)


def type_review(page, base_url: str, query: str) -> None:
    browser.open_page(page, f"{base_url}/reviews{query}", browser.REVIEW_BOX)
    browser.submit_review(page, REVIEW)
    browser.wait_for_token_line(page, "the music is great")


SHOTS = [
    ("digits", draw_digit, ""),
    ("digits-presenter", draw_digit, "?presenter=1"),
    ("reviews", type_review, ""),
    ("reviews-presenter", type_review, "?presenter=1"),
]


def save_whole_page(page, path: Path) -> None:
    """Screenshot the whole page at the same width.

    Streamlit scrolls inside its main element, not the document, so Playwright's full_page option
    captures only the viewport. This function makes the viewport as tall as the main element's content.
    """
    height = page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    page.set_viewport_size({"width": browser.VIEWPORT["width"], "height": height})
    browser.wait_until_idle(page)
    browser.wait_for_charts(page)
    page.screenshot(path=path)


def save_screenshots(full_page: bool) -> list[Path]:
    """Start the app, prepare each page and save its screenshots, then return the paths written."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as folder, browser.running_app(Path(folder) / "server.log") as base_url:
        with sync_playwright() as playwright:
            chromium = browser.launch_chromium(playwright)
            for name, prepare, query in SHOTS:
                context = chromium.new_context(viewport=browser.VIEWPORT)
                page = context.new_page()
                prepare(page, base_url, query)
                browser.wait_until_idle(page)
                browser.wait_for_charts(page)
                page.mouse.move(0, 0)  # no hover effects or tooltips in the picture
                path = OUTPUT / f"{name}.png"
                page.screenshot(path=path)
                written.append(path)
                if full_page:
                    path = OUTPUT / f"{name}-full.png"
                    save_whole_page(page, path)
                    written.append(path)
                context.close()
            chromium.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-page", action="store_true", help="also save the whole page of each shot as NAME-full.png")
    arguments = parser.parse_args()
    for path in save_screenshots(arguments.full_page):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
