"""The course site in headless Chromium, with every request to another host refused.

The site is served from 127.0.0.1; any request elsewhere is aborted and recorded, and each test
asserts there was none. Notebook 08's equations must be typeset by the site's own MathJax, a
search for "backpropagation" must list pages and lead to one, and a stored widget must draw.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import browser_support as bs
import pytest
import site_support

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site_url():
    if not bs.chromium_available():
        if bs.in_ci():
            pytest.fail(bs.MISSING_BROWSER)
        pytest.skip(bs.MISSING_BROWSER)
    with site_support.serve(site_support.built_site()) as url:
        yield url


def in_browser(site_url: str, check) -> None:
    """Run check(page, site_url) in a fresh Chromium page that may only reach the site.

    Playwright's sync API runs in a thread of its own, so this works beside another Playwright
    session in the same test worker (tests/test_browser.py keeps one open). Requests to other
    hosts are aborted, and any is a failure, as is an uncaught error on the page.
    """

    def run():
        from playwright.sync_api import sync_playwright

        elsewhere, errors = [], []
        site_host = urlsplit(site_url).netloc

        def route(r):
            parts = urlsplit(r.request.url)
            if parts.scheme in ("data", "blob") or parts.netloc == site_host:
                r.continue_()
            else:
                elsewhere.append(r.request.url)
                r.abort()

        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(bs.CHROMIUM), headless=True, args=bs.CHROMIUM_ARGS
            )
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 1000})
                context.route("**/*", route)
                page = context.new_page()
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.set_default_timeout(30_000)
                check(page, site_url)
                context.close()
            finally:
                browser.close()
        assert not elsewhere, f"the site asked another host for: {elsewhere}"
        assert not errors, f"errors on the page: {errors}"

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run).result()


def test_notebook_08_equations_are_typeset(site_url):
    in_browser(site_url, check_equations_typeset)


def check_equations_typeset(page, site_url):
    page.goto(f"{site_url}/notebooks/08-backpropagation-through-time.html")
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
        " && document.querySelectorAll('mjx-container').length > 0"
    )
    page.evaluate("() => MathJax.startup.promise")
    typeset = page.locator("main mjx-container").count()
    raw = page.locator("main .math").count()
    assert typeset >= 3 and typeset >= raw, f"{typeset} typeset of {raw} equations"
    text = page.locator("main").inner_text()
    assert "$$" not in text, "raw $$ left in the page"
    assert not re.search(r"\\\[|\\\(|\\frac|\\tanh", text), "raw TeX left in the page"


def test_search_for_backpropagation_leads_to_a_page(site_url):
    in_browser(site_url, check_search)


def check_search(page, site_url):
    page.goto(f"{site_url}/search.html?q=backpropagation")
    first = page.locator("#search-results li a").first
    first.wait_for(state="visible")
    hits = page.locator("#search-results li a").count()
    assert hits >= 2, f"only {hits} result(s) for backpropagation"
    href = first.get_attribute("href")
    first.click()
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path.endswith(".html") and "search.html" not in page.url, page.url
    assert "backpropagation" in page.locator("main").inner_text().lower(), href


def test_a_stored_widget_draws_its_saved_state(site_url):
    in_browser(site_url, check_widget)


def check_widget(page, site_url):
    page.goto(f"{site_url}/notebooks/05-the-rnn-cell.html")
    control = page.locator("main .widget-slider, main .widget-dropdown").first
    control.wait_for(state="attached")
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    figure = page.locator("main .widget-output img").first
    figure.wait_for(state="visible")  # the figure the widget's Output held when saved
    assert figure.evaluate("img => img.complete && img.naturalWidth > 0")
