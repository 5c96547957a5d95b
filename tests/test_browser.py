"""Both pages in a real browser: drawing, clearing, typing a review, markup in a review, no request leaving 127.0.0.1.

One Streamlit server and one headless Chromium serve the whole module. Each
test gets its own browser context, so sessions never share state. The helpers
are in tests/browser.py; the server's log is in pytest's temporary folder
(streamlit*/server.log).
"""

from pathlib import Path

import pytest

import browser

sync_api = pytest.importorskip("playwright.sync_api")

if not Path(browser.CHROMIUM).exists():
    pytest.skip(f"no Chromium at {browser.CHROMIUM}: install Debian's chromium package", allow_module_level=True)

NEGATIVE_REVIEW = "A boring, badly written mess. The acting is terrible and the plot makes no sense."
MARKUP_REVIEW = '<script>window.__xss = 1</script> <img src=x onerror="window.__xss=2"> great'


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """Base URL of a Streamlit server that runs streamlit_app.py for this module."""
    folder = tmp_path_factory.mktemp("streamlit")
    with browser.running_app(folder / "server.log") as base_url:
        yield base_url


@pytest.fixture(scope="module")
def chromium():
    with sync_api.sync_playwright() as playwright:
        launched = browser.launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture
def requests_made():
    """URLs of every request and WebSocket that the test's browser context opens, filled in as the test runs."""
    return []


@pytest.fixture
def page(chromium, requests_made):
    context = chromium.new_context(viewport=browser.VIEWPORT)
    context.on("request", lambda request: requests_made.append(request.url))
    context.on("websocket", lambda websocket: requests_made.append(websocket.url))
    tab = context.new_page()
    yield tab
    context.close()


def open_digits(page, app_url: str, query: str = "") -> None:
    browser.open_page(page, f"{app_url}/{query}", browser.CANVAS)


def open_reviews(page, app_url: str, query: str = "") -> None:
    browser.open_page(page, f"{app_url}/reviews{query}", browser.REVIEW_BOX)


def visible_info(page, text: str):
    # Collapsed expanders contain hints too, such as the one for a second drawing, so only a visible hint counts.
    return page.locator(browser.INFO, has_text=text).filter(visible=True)


def exception_texts(page) -> list[str]:
    return page.locator(browser.EXCEPTION).all_inner_texts()


def probability_chart(page):
    return page.locator(browser.PLOTLY_CHART, has_text="Class probabilities").first


# ---------------------------------------------------------------- digits page


def test_digits_stroke_predicts_one(page, app_url):
    open_digits(page, app_url)
    assert visible_info(page, "Draw a digit on the canvas.").count() == 1

    browser.draw_vertical_stroke(page)
    prediction = browser.big_prediction_text(page)
    browser.wait_until_idle(page)
    probability_chart(page).wait_for(timeout=browser.APP_RUN_TIMEOUT_MS)

    assert prediction in [str(digit) for digit in range(10)]
    assert prediction == "1"
    assert exception_texts(page) == []


def test_digits_clear_restores_hint(page, app_url):
    open_digits(page, app_url)
    browser.draw_vertical_stroke(page)
    browser.big_prediction_text(page)
    browser.wait_until_idle(page)

    browser.clear_canvas(page)
    visible_info(page, "Draw a digit on the canvas.").wait_for(timeout=browser.APP_RUN_TIMEOUT_MS)
    browser.wait_until_idle(page)

    assert page.locator(browser.BIG_PREDICTION).count() == 0
    assert page.locator(browser.PLOTLY_CHART).count() == 0
    assert exception_texts(page) == []


def test_digits_example_gives_way(page, app_url):
    # A gallery example opened from a bookmark; the stroke drawn below reads as a 1.
    entry = browser.first_gallery_entry()
    expected = str(entry["predicted"])
    assert expected != "1"
    open_digits(page, app_url, "?example=" + entry["id"])
    browser.wait_for_prediction(page, expected)
    page.get_by_role("button", name="Clear the example").click()
    visible_info(page, "Draw a digit on the canvas.").wait_for(timeout=browser.APP_RUN_TIMEOUT_MS)
    browser.wait_until_idle(page)
    assert "example=" not in page.url
    assert page.locator(browser.BIG_PREDICTION).count() == 0

    open_digits(page, app_url, "?example=" + entry["id"])
    browser.wait_for_prediction(page, expected)
    browser.draw_vertical_stroke(page)
    browser.wait_for_prediction(page, "1")
    browser.wait_until_idle(page)
    browser.clear_canvas(page)
    visible_info(page, "Draw a digit on the canvas.").wait_for(timeout=browser.APP_RUN_TIMEOUT_MS)
    browser.wait_until_idle(page)
    assert page.locator(browser.BIG_PREDICTION).count() == 0
    assert exception_texts(page) == []


# ---------------------------------------------------------------- reviews page


def test_reviews_typed_review_sentiment(page, app_url):
    open_reviews(page, app_url)
    assert browser.big_prediction_text(page) in ("positive", "negative")

    browser.submit_review(page, NEGATIVE_REVIEW)
    browser.wait_for_prediction(page, "negative")
    browser.wait_until_idle(page)
    probability_chart(page).wait_for(timeout=browser.APP_RUN_TIMEOUT_MS)

    assert exception_texts(page) == []


def test_reviews_markup_stays_text(page, app_url):
    open_reviews(page, app_url)
    browser.submit_review(page, MARKUP_REVIEW)
    browser.wait_for_token_line(page, "onerror")
    browser.wait_until_idle(page)

    assert browser.big_prediction_text(page) in ("positive", "negative")
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("img[onerror]").count() == 0
    assert page.evaluate("() => [...document.scripts].filter(script => script.text.includes('__xss')).length") == 0
    assert page.locator(browser.REVIEW_BOX).input_value() == MARKUP_REVIEW
    assert exception_texts(page) == []


# ---------------------------------------------------------------- offline: no request leaves 127.0.0.1
#
# Streamlit 1.67's frontend turns the current page's ":material/...:" icon into a favicon URL on
# fonts.gstatic.com unless st.set_page_config sets page_icon, which streamlit_app.py does.


def toggle_presenter_mode(page) -> None:
    expand = page.locator("[data-testid='stExpandSidebarButton']")
    if expand.is_visible():
        # Presenter mode opened from the URL starts with the sidebar collapsed.
        expand.click()
    toggle = page.locator("[data-testid='stSidebar']").get_by_text("Presenter mode", exact=True)
    toggle.wait_for(state="visible")
    page.wait_for_function("(element) => element.getBoundingClientRect().left >= 0", arg=toggle.element_handle())
    toggle.click()


def external_requests(requests_made: list[str], app_url: str) -> list[str]:
    return sorted({url for url in requests_made if not browser.is_local_request(url, app_url)})


def test_digits_requests_stay_local(page, app_url, requests_made):
    # Normal mode first, then presenter mode through the sidebar toggle.
    open_digits(page, app_url)
    browser.draw_vertical_stroke(page)
    browser.big_prediction_text(page)
    browser.wait_until_idle(page)
    browser.wait_for_charts(page)
    assert page.locator(browser.PRESENTER_PREDICTION).count() == 0

    toggle_presenter_mode(page)
    page.wait_for_url("**presenter=1**", timeout=browser.APP_RUN_TIMEOUT_MS)
    page.locator(browser.PRESENTER_PREDICTION).first.wait_for(timeout=browser.APP_RUN_TIMEOUT_MS)
    browser.wait_until_idle(page)
    browser.wait_for_charts(page)

    assert len(requests_made) > 0
    assert external_requests(requests_made, app_url) == []


def test_reviews_requests_stay_local(page, app_url, requests_made):
    # Presenter mode first, through the URL, then normal mode through the sidebar toggle.
    open_reviews(page, app_url, "?presenter=1")
    browser.submit_review(page, NEGATIVE_REVIEW)
    browser.wait_for_prediction(page, "negative")
    browser.wait_until_idle(page)
    browser.wait_for_charts(page)
    assert page.locator(browser.PRESENTER_PREDICTION).count() == 1

    toggle_presenter_mode(page)
    page.wait_for_function("() => !window.location.search.includes('presenter=1')", timeout=browser.APP_RUN_TIMEOUT_MS)
    browser.wait_until_idle(page)
    browser.wait_for_charts(page)
    assert page.locator(browser.PRESENTER_PREDICTION).count() == 0
    assert browser.big_prediction_text(page) == "negative"

    assert len(requests_made) > 0
    assert external_requests(requests_made, app_url) == []


def test_why_lstm_page_renders(page, app_url, requests_made):
    browser.open_page(page, f"{app_url}/why-lstm", browser.PLOTLY_CHART)
    browser.wait_until_idle(page)
    browser.wait_for_charts(page)
    assert exception_texts(page) == []
    assert page.get_by_text("Test accuracy against delay").count() >= 1
    assert page.get_by_text("How much each input step can still move the answer").count() >= 1
    assert external_requests(requests_made, app_url) == []


# ---------------------------------------------------------------- retraining from the sidebar

TRAINING_TIMEOUT_MS = 300_000  # importing TensorFlow and one short epoch on two busy cores


def test_digits_retrain_from_sidebar(page, app_url):
    open_digits(page, app_url, "?example=" + browser.first_gallery_digit())
    before = browser.big_prediction_text(page)
    browser.wait_until_idle(page)

    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_role("button", name="Retrain").click()
    success = sidebar.get_by_text(browser.RETRAINED_MESSAGE)
    success.wait_for(timeout=TRAINING_TIMEOUT_MS)
    browser.wait_until_idle(page)

    # The retrained model now serves the page, and the prediction is still shown.
    assert page.get_by_text("Using retrained shifted (1 epoch").count() >= 1
    assert browser.big_prediction_text(page) in [str(digit) for digit in range(10)]
    assert before in [str(digit) for digit in range(10)]
    assert sidebar.get_by_role("button", name="Back to the pretrained model").count() == 1
    assert exception_texts(page) == []
