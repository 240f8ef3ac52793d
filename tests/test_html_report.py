"""The HTML audit page and the Markdown job summary: content, escaping, size, and a real browser.

The browser test opens the page in headless Chromium (Debian's ``chromium`` and
``chromium-driver``) through selenium; it checks the table renders, sorting and filters work
and the page makes no network request. It is skipped when Chromium is not installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modelcheck.reporters import render
from modelcheck.reporters.markdown import render as render_markdown
from modelcheck.results import Finding, Level, PackageResult, Report

GOOD = Path(__file__).parent / "rules" / "MC101" / "pass" / "real-sklearn-2.5"
HOSTILE = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"


def _f(code: str, level: Level, pkg: str, msg: str, **kw) -> Finding:
    return Finding(code=code, name=kw.pop("name", f"rule-{code.lower()}"), level=level,
                   message=msg, package=pkg, **kw)


def sample_report() -> Report:
    """Packages of every status, several rules and versions, and hostile strings everywhere."""
    pkgs = [
        PackageResult("models/churn", [
            _f("MC301", Level.ERROR, "models/churn", "signature inputs is not valid JSON",
               file="MLmodel", line=12, pointer="/signature/inputs", fix="re-log the model"),
            _f("MC512", Level.WARNING, "models/churn", "conda.yaml pins python=3.8, "
               "python_env.yaml says 3.10", file="conda.yaml", line=4)],
            "2.17.2", ("python_function", "sklearn")),
        PackageResult("models/fraud", [
            _f("MC512", Level.WARNING, "models/fraud", "requirements differ", file="conda.yaml")],
            "3.1.0", ("python_function", "xgboost")),
        PackageResult("models/clean-a", [], "3.1.0", ("python_function", "sklearn")),
        PackageResult("models/clean-b", [], "2.17.2", ("python_function",)),
        PackageResult("models/old", [
            _f("MC105", Level.NOTE, "models/old", "utc_time_created is missing")],
            None, ("python_function",)),
        PackageResult(f"models/{IMG}", [
            _f("MC301", Level.ERROR, f"models/{IMG}", f"bad value {HOSTILE} & more",
               file=f"{IMG}.json", pointer=f"/x/{HOSTILE}", fix=f"remove {HOSTILE}",
               name=f"name-{HOSTILE}")],
            f"2.0{HOSTILE}", (f"flavor{HOSTILE}",)),
    ]
    return Report(packages=pkgs, notifications=[f"models/gone: unreadable {HOSTILE}"])


def test_html_totals_tables_and_rows():
    page = render("html", sample_report())
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('<tbody class="pkg') == 6
    assert 'data-status="clean"' in page and 'data-status="note"' in page
    # findings by rule: MC301 twice in 2 packages, MC512 twice, MC105 once
    rules = re.search(r'<table id="rules">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r'data-val="(MC\d+)".*?<td class="num">(\d+)</td>'
                      r'<td class="num">(\d+)</td>', rules)
    assert rows == [("MC301", "2", "2"), ("MC512", "2", "2"), ("MC105", "1", "1")]
    versions = re.search(r'<table id="versions">(.*?)</table>', page, re.S).group(1)
    order = re.findall(r'data-sel="fver" data-val="([^"]*)"', versions)
    assert order[:2] == ["3.1.0", "2.17.2"] and order[-1] == "unknown"


def test_html_escapes_hostile_package_content():
    page = render("html", sample_report())
    assert page.count("<script") == 1  # only the page's own script
    assert "<img" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&amp; more" in page


def test_html_is_self_contained():
    page = render("html", sample_report())
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"https?://|//[a-z]|@import|url\(|\bsrc=\"|<link", page, re.I)


def _broken_copy(dest: Path) -> Path:
    shutil.copytree(GOOD, dest)
    (dest / "MLmodel").rename(dest / "MLModel")
    return dest


def test_cli_html_on_hostile_package_name(tmp_path):
    _broken_copy(tmp_path / "tree" / "ok")
    (tmp_path / "tree" / "ok" / "MLModel").rename(tmp_path / "tree" / "ok" / "MLmodel")
    _broken_copy(tmp_path / "tree" / IMG)
    out = tmp_path / "report.html"
    r = subprocess.run([sys.executable, "-m", "modelcheck", "check", "tree", "--select", "MC101",
                        "-f", "html",
                        "-o", str(out)], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    page = out.read_text()
    assert "<img" not in page and "tree/&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'data-rules="MC101"' in page and page.count('<tbody class="pkg') == 2


def test_markdown_summary_and_escaping():
    md = render_markdown(sample_report())
    assert md.startswith("## modelcheck\n")
    assert "**2** errors, **2** warnings, **1** notes in 4 of 6 packages." in md
    assert "| :white_check_mark: clean | 2 |" in md
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;alert\\(\"x\"\\)&lt;/script&gt;" in md
    table = md.split("### Findings\n", 1)[1]
    assert table.index("MC301") < table.index("MC512") < table.index("MC105")  # worst first
    for line in md.splitlines():
        if line.startswith("| ") and "MC" in line:
            assert len(re.findall(r"(?<!\\)\|", line)) in (5, 6), line  # 4 or 5 cells


def test_markdown_truncates_under_github_limit():
    many = [PackageResult(f"m/{i}", [
        _f("MC301", Level.ERROR, f"m/{i}", "x" * 2000 + "|", file="MLmodel", line=j)
        for j in range(1, 20)], "2.5.0") for i in range(1000)]
    md = render_markdown(Report(packages=many))
    assert len(md.encode()) < 1024 * 1024
    assert re.search(r"… \d+ more findings not shown", md)
    assert "x" * 500 not in md  # long messages are cut
    small = render_markdown(Report(packages=many[:2]))
    assert "more findings not shown" not in small and small.count("| :x: error | `MC301` |") == 38


def test_markdown_all_clean():
    md = render_markdown(Report(packages=[PackageResult("a", [], "2.5.0")]))
    assert "All checks passed: 1 packages, no findings." in md
    assert "### Findings" not in md


# --- a real browser ----------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _driver(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    os.environ.setdefault("SE_OFFLINE", "true")  # never let selenium-manager fetch anything
    return webdriver.Chrome(options=opts, service=Service(executable_path=CHROMEDRIVER))


@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                    reason="headless Chromium not installed (apt-get install chromium "
                           "chromium-driver); CI installs it")
def test_html_in_headless_chromium(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page = tmp_path / "report.html"
    page.write_text(render("html", sample_report()), encoding="utf-8")
    d = _driver(tmp_path)
    try:
        d.get(page.as_uri())
        assert d.title == "modelcheck report"
        assert d.execute_script("return window.__xss === undefined && "
                                "document.querySelectorAll('img').length === 0")
        bodies = d.find_elements(By.CSS_SELECTOR, "#pkgs tbody.pkg")
        assert len(bodies) == 6 and all(b.is_displayed() for b in bodies)
        shown = d.find_element(By.ID, "shown")
        assert shown.text == "6 of 6 packages shown"

        def visible() -> list[str]:
            return [b.get_attribute("data-path") for b in
                    d.find_elements(By.CSS_SELECTOR, "#pkgs tbody.pkg") if b.is_displayed()]

        Select(d.find_element(By.ID, "fstatus")).select_by_value("error")
        assert sorted(visible()) == sorted(["models/churn", f"models/{IMG}"])
        Select(d.find_element(By.ID, "fstatus")).select_by_value("")
        Select(d.find_element(By.ID, "frule")).select_by_value("MC512")
        assert sorted(visible()) == ["models/churn", "models/fraud"]
        Select(d.find_element(By.ID, "frule")).select_by_value("")
        q = d.find_element(By.ID, "q")
        q.send_keys("utc_time_created")  # text of a finding inside the collapsed details
        assert visible() == ["models/old"] and shown.text == "1 of 6 packages shown"
        q.clear()
        q.send_keys(" ")  # clear() fires no input event; a key does
        assert len(visible()) == 6
        # clicking a row of the per-version table filters by that version
        d.find_element(By.CSS_SELECTOR, '#versions tr[data-val="3.1.0"]').click()
        assert sorted(visible()) == ["models/clean-a", "models/fraud"]
        Select(d.find_element(By.ID, "fver")).select_by_value("")
        # sorting: errors descending puts the two packages with errors first
        head = d.find_element(By.CSS_SELECTOR, '#pkgs th[data-key="errors"]')
        head.click()
        head.click()
        assert sorted(visible()[:2]) == sorted(["models/churn", f"models/{IMG}"])
        by_path = d.find_element(By.CSS_SELECTOR, '#pkgs th[data-key="path"]')
        by_path.click()
        asc = visible()
        assert asc.index("models/clean-a") + 1 == asc.index("models/clean-b")
        by_path.click()
        assert visible() == asc[::-1]
        # a row opens its findings; the hostile message shows as text
        row = d.find_element(By.CSS_SELECTOR, f'tbody.pkg[data-path="models/{IMG}"] tr.row')
        detail = d.find_element(By.CSS_SELECTOR,
                                f'tbody.pkg[data-path="models/{IMG}"] tr.det')
        assert not detail.is_displayed()
        row.click()
        assert detail.is_displayed() and HOSTILE in detail.text
        urls = [json.loads(e["message"])["message"].get("params", {}).get("request", {})
                .get("url") for e in d.get_log("performance")]
        # chrome:// and devtools:// are the browser's own pages, data: is inline (no network)
        urls = [u for u in urls if u and not u.startswith(("chrome://", "devtools://", "data:"))]
        assert urls and all(u == page.as_uri() for u in urls), urls
        errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        d.quit()
