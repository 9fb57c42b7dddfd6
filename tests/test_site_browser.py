"""The course site in headless Chromium, with every request to another host refused.

The site is served from 127.0.0.1; any request elsewhere is aborted and recorded, and each test
asserts there was none. Notebook 08's equations must be typeset by the site's own MathJax, a
search for "backpropagation" must list pages and lead to one, and a stored widget must draw.
"""

from __future__ import annotations

import re
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


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(bs.CHROMIUM), headless=True, args=bs.CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, site_url):
    """A fresh page that may only reach the site; `page.elsewhere` lists refused requests."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.elsewhere, page.errors = [], []
    site_host = urlsplit(site_url).netloc

    def route(r):
        parts = urlsplit(r.request.url)
        if parts.scheme in ("data", "blob") or parts.netloc == site_host:
            r.continue_()
        else:
            page.elsewhere.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.set_default_timeout(30_000)
    yield page
    context.close()
    assert not page.elsewhere, f"the site asked another host for: {page.elsewhere}"


def test_notebook_08_equations_are_typeset(page, site_url):
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
    assert not page.errors, page.errors


def test_search_for_backpropagation_leads_to_a_page(page, site_url):
    page.goto(f"{site_url}/notebooks/00-index.html")
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
    assert not page.errors, page.errors


def test_a_stored_widget_draws_its_saved_state(page, site_url):
    page.goto(f"{site_url}/notebooks/05-the-rnn-cell.html")
    control = page.locator("main .widget-slider, main .widget-dropdown").first
    control.wait_for(state="attached")
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    figure = page.locator("main .widget-output img").first
    figure.wait_for(state="visible")  # the figure the widget's Output held when saved
    assert figure.evaluate("img => img.complete && img.naturalWidth > 0")
    assert not page.errors, page.errors
