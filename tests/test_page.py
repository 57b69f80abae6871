"""The study page in a real browser: headless Chromium driven by Selenium, on the page of a small
real study. Chromium and its driver come from Debian's packages (installed here when missing and
the test runs as root with apt-get), Selenium from the test extras; skipped, with the reason,
where they cannot be had."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from workflow_helpers import snakemake, write_study

pytestmark = pytest.mark.slow

WIDTH = 390  # a phone's CSS pixels


def _install_browser() -> str | None:
    """Why no browser can be had here, or None once Chromium and its driver are installed."""
    if shutil.which("chromedriver") and shutil.which("chromium"):
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "chromium and chromium-driver are missing, and only root with apt-get installs them"
    command = ["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for attempt in (command, ["apt-get", "update", "-q"], command):
        result = subprocess.run(attempt, capture_output=True, text=True, env=env, timeout=900)
        if attempt is command and result.returncode == 0:
            return None
    return f"apt-get could not install chromium: {result.stderr.strip()[-300:]}"


@pytest.fixture(scope="module")
def browser():
    try:
        from selenium import webdriver
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "selenium"], check=False)
        try:
            from selenium import webdriver
        except ImportError:
            pytest.skip("selenium is not installed and pip could not install it")
    missing = _install_browser()
    if missing:
        pytest.skip(missing)
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    # a phone's viewport (a headless window is at least 500 px wide)
    metrics = {"width": WIDTH, "height": 844, "deviceScaleFactor": 1, "mobile": True}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The report of a tiny study of two variants over two seeds (sortable rows, sweeps aside)."""
    from workflow_helpers import TINY_SPECS

    specs = {name: dict(spec) for name, spec in TINY_SPECS.items()}
    for name in ("alpha.json", "beta.json"):
        specs[name] = {**specs[name], "training": {"seeds": [0, 1]}}
    folder = write_study(tmp_path_factory.mktemp("page"), specs)
    result = snakemake(folder, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    return folder / "outputs/report/index.html"


def test_the_page_renders_whole_on_a_phone_and_sorts(browser, page):
    from selenium.webdriver.common.by import By

    browser.get(page.as_uri())
    assert browser.execute_script("return window.innerWidth") == WIDTH
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {WIDTH} px"
    broken = browser.execute_script(
        "return Array.from(document.images)"
        ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt)"
    )
    assert broken == []
    assert browser.execute_script("return document.images.length") >= 3
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []

    table = browser.find_element(By.CSS_SELECTOR, "table.sortable")
    headers = table.find_elements(By.CSS_SELECTOR, "thead th")
    column = [h.text for h in headers].index("experiment")

    def names():
        rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
        return [row.find_elements(By.TAG_NAME, "td")[column].text.split(" (")[0] for row in rows]

    ranked = names()
    assert len(ranked) == 4
    browser.execute_script("arguments[0].click()", headers[column])
    assert names() == sorted(ranked)
    browser.execute_script("arguments[0].click()", headers[column])
    assert names() == sorted(ranked, reverse=True)
