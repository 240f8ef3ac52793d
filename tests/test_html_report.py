"""The HTML audit page and the Markdown job summary: content, escaping, size, and a real browser.

The browser tests open the page in headless Chromium (Debian's ``chromium`` and
``chromium-driver``) through selenium: filters and sort orders, their state in the URL hash
(reload, links, the back button), the registry summary, the run's header, hostile strings, a
5000-finding page's load time, and that the page makes no network request. They are skipped
when Chromium is not installed.
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
from modelcheck.results import Finding, Invocation, Level, PackageResult, Report

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
    rows = re.findall(r'data-sel="rule" data-val="(MC\d+)".*?<td class="num">(\d+)</td>'
                      r'<td class="num">(\d+)</td>', rules)
    assert rows == [("MC301", "2", "2"), ("MC512", "2", "2"), ("MC105", "1", "1")]
    versions = re.search(r'<table id="versions">(.*?)</table>', page, re.S).group(1)
    order = re.findall(r'data-sel="version" data-val="([^"]*)"', versions)
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
    header = page.split("</header>", 1)[0]  # the run's header, from the real invocation
    assert '<dl id="invocation">' in header and "<code>tree</code>" in header
    assert re.search(r"<dt>started</dt><dd><time>\d{4}-\d\d-\d\dT[\d:]+Z</time>", header)


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


# --- the registry summary, provenance and the run's header -------------------------------

XSS = '"><img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


def _prov(model: str, version: str, selected_by: str, aliases: str = "",
          stage: str = "None", **kw: str) -> dict[str, str]:
    return {"model": model, "version": version, "selected_by": selected_by, "aliases": aliases,
            "stage": stage, "run_id": kw.get("run_id", f"run{version}"),
            "source": kw.get("source", f"mlflow-artifacts:/1/run{version}/artifacts/model"),
            "status": "READY"}


EVIL = f"evil{XSS}"


def registry_report() -> Report:
    """Three registered models (one with a hostile name and alias) and one local package."""
    from modelcheck.engine.settings import Settings

    def pkg(display, findings, prov):
        return PackageResult(display, findings, "2.17.2", ("python_function",), prov)

    churn3 = "models:/churn@champion"
    pkgs = [
        pkg(churn3, [_f("MC301", Level.ERROR, churn3, "signature inputs is not valid JSON",
                        file="MLmodel", line=3)],
            _prov("churn", "3", "@champion", "champion", "Production")),
        pkg("models:/churn/2", [], _prov("churn", "2", "version", "", "Archived")),
        pkg("models:/churn@challenger",
            [_f("MC512", Level.WARNING, "models:/churn@challenger", "requirements differ")],
            _prov("churn", "4", "@challenger", "challenger,canary", "Staging")),
        pkg("models:/fraud/Production",
            [_f("MC902", Level.ERROR, "models:/fraud/Production", "MLmodel: unreadable")],
            _prov("fraud", "7", "Production", "", "Production")),
        pkg(f"models:/{EVIL}/latest",
            [_f("MC105", Level.NOTE, f"models:/{EVIL}/latest", f"note {XSS}")],
            _prov(EVIL, "1", "latest", f"a{XSS}", "None", source=f"s3://b/{XSS}")),
        PackageResult("local/pkg", [_f("MC512", Level.WARNING, "local/pkg", "differ")],
                      "3.1.0", ("python_function",)),
    ]
    settings = Settings(fail_on=Level.ERROR, exclude=[f"x{XSS}"],
                        storage_options={"secret_key": "hunter2"}).as_json()
    inv = Invocation("9.9.9", "2026-01-02T03:04:05Z", "2026-01-02T03:04:47Z",
                     ["models:/churn@champion", "models:/*", f"dir/{XSS}",
                      "https://user:tok3n@mlflow.example/models:/m"], settings)
    return Report(packages=pkgs, invocation=inv)


def test_html_registry_section_and_model_filter_only_with_provenance():
    page = render("html", registry_report())
    assert '<table id="registry">' in page and '<select id="fmodel"' in page
    models = re.findall(r'<select id="fmodel"[^>]*>(.*?)</select>', page, re.S)[0]
    assert re.findall(r'value="([^"]*)"', models) == [
        "", "churn", esc(EVIL), "fraud"]
    # provenance columns: every package row carries them (empty for the local one)
    assert page.count('data-model="churn"') == 3 + 1  # 3 packages + the registry group
    assert 'data-model=""' in page and '<dt>run_id</dt><dd>run3</dd>' in page
    plain = render("html", sample_report())
    assert 'id="registry"' not in plain and 'id="fmodel"' not in plain
    assert "data-model" not in plain and "<th>model</th>" not in plain


def test_html_registry_summary_content():
    report = registry_report()
    page = render("html", report)
    section = re.search(r'<table id="registry">(.*?)</table>', page, re.S).group(1)
    groups = re.findall(r'<tbody data-model="([^"]*)">(.*?)</tbody>', section, re.S)
    assert [m for m, _ in groups] == ["churn", esc(EVIL), "fraud"]

    def rows(body: str) -> dict[str, tuple[str, str]]:
        out = {}
        for tr in re.findall(r"<tr.*?</tr>", body, re.S):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
            label, version, verdict = cells[-7], cells[-6], re.sub("<[^>]+>", "", cells[-5])
            out[label] = (version, verdict)
        return out

    churn, evil, fraud = (rows(b) for _, b in groups)
    # is what serves in Production broken? one glance: yes, version 3 fails
    assert churn["Production"] == ("3", "fail") and churn["@champion"] == ("3", "fail")
    assert churn["@challenger"] == ("4", "pass") and churn["@canary"] == ("4", "pass")
    assert churn["Staging"] == ("4", "pass") and churn["Archived"] == ("2", "pass")
    assert fraud["Production"] == ("7", "not checked")  # a tool failure is never a pass
    assert evil["latest"] == ("1", "pass") and evil[f"@a{esc(XSS)}"] == ("1", "pass")
    assert "3 versions checked &middot; 1 failing" in groups[0][1]
    assert "1 version checked &middot; 0 failing &middot; 1 not checked" in groups[2][1]


def test_html_invocation_header():
    report = registry_report()
    page = render("html", report)
    header = page.split("</header>", 1)[0]
    assert "modelcheck 9.9.9 &middot; 6 packages" in header
    assert "<dt>started</dt><dd><time>2026-01-02T03:04:05Z</time></dd>" in header
    assert "<time>2026-01-02T03:04:47Z</time> (42 s)" in header
    assert "<dt>targets (4)</dt>" in header and "<code>models:/*</code>" in header
    assert "tok3n" not in page and "<code>https://***@mlflow.example/models:/m</code>" in header
    settings = re.search(r'<details id="settings">(.*?)</details>', header, re.S).group(1)
    assert f"effective settings ({len(report.invocation.settings)})" in settings
    assert settings.count("<tr>") == len(report.invocation.settings) > 10
    assert '<td class="mono">fail_on</td><td class="mono">&quot;error&quot;</td>' in settings
    assert "hunter2" not in page and "secret_key" in settings  # masked by Settings.as_json
    assert "<details" in header and "<details open" not in header  # collapsed
    # findings --show-level left out are counted in the header
    from modelcheck.reporters import Context

    page = render("html", registry_report(), Context(hidden={"note": 12, "warning": 0}))
    assert "6 packages &middot; 12 notes left out by --show-level</div>" in page
    # a report without an invocation (built by hand) has no such block, and no crash
    assert 'id="invocation"' not in render("html", sample_report())


def test_html_escapes_provenance_targets_and_settings():
    page = render("html", registry_report())
    assert page.count("<script") == 1 and "<img" not in page
    assert "window.__xss=1\">" not in page
    assert f"<code>dir/{esc(XSS)}</code>" in page  # a target
    assert esc(json.dumps([f"x{XSS}"])) in page  # a setting
    assert f"<dd>s3://b/{esc(XSS)}</dd>" in page  # provenance
    assert f'data-aliases="a{esc(XSS)}"' in page


def esc(s: str) -> str:
    from html import escape

    return escape(s, quote=True)


def real_check_report(tmp_path: Path) -> Report:
    """A real check of the MLflow fixture packages plus packages that fail rules."""
    from modelcheck.api import check

    rules = Path(__file__).parent / "rules"
    tree = tmp_path / "tree"
    for code in ("MC301", "MC512", "MC105"):
        for case in (rules / code / "fail").iterdir():
            if case.is_dir():
                shutil.copytree(case, tree / f"{code}-{case.name}")
    shutil.copytree(GOOD, tree / IMG)  # a hostile package name
    return check([str(Path(__file__).parent / "fixtures" / "mlflow" / "2.17.2"), str(tree)])


def test_html_from_a_real_check(tmp_path):
    report = real_check_report(tmp_path)
    assert len(report.packages) > 50 and report.findings
    page = render("html", report)
    assert page.count('<tbody class="pkg') == len(report.packages)
    assert page.count('<div class="find ') == len(report.findings)
    assert "<dt>targets (2)</dt>" in page and esc(str(tmp_path / "tree")) in page
    assert "<img" not in page and page.count("<script") == 1
    assert 'id="registry"' not in page  # local packages carry no provenance


# --- a real browser ----------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
needs_browser = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="headless Chromium not installed (apt-get install chromium chromium-driver); "
           "CI installs it")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium for the module's tests (starting one costs about a second)."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed")
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path_factory.mktemp("chromium")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1000",
                 f"--user-data-dir={profile / 'profile'}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    os.environ.setdefault("SE_OFFLINE", "true")  # never let selenium-manager fetch anything
    d = webdriver.Chrome(options=opts, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield d
    finally:
        d.quit()


def _open(d, tmp_path: Path, report: Report, fragment: str = "", name: str = "r.html") -> Path:
    page = tmp_path / name
    page.write_text(render("html", report), encoding="utf-8")
    d.get("about:blank")  # a new document, even when only the fragment differs
    d.get(page.as_uri() + fragment)
    return page


def _visible(d, selector: str = "#pkgs tbody.pkg", attr: str = "data-path") -> list[str]:
    """What is really rendered (has a layout box), not what an attribute claims."""
    return d.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]))"
        ".filter(e => e.getClientRects().length > 0).map(e => e.getAttribute(arguments[1]))",
        selector, attr)


def _wait(d, cond, what: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(d, 5, poll_frequency=0.05).until(lambda _: cond(), message=what)


def _hash(d) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(d.execute_script("return location.hash").lstrip("#")))


def _value(d, el_id: str) -> str:
    return d.execute_script(f"return document.getElementById('{el_id}').value")


def _select(d, el_id: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(d.find_element(By.ID, el_id)).select_by_value(value)


def _expand_all(d) -> None:
    d.execute_script("document.querySelectorAll('#pkgs tbody.pkg').forEach("
                     "b => b.classList.remove('closed'))")


@needs_browser
def test_html_in_headless_chromium(browser, tmp_path):
    from selenium.webdriver.common.by import By

    d = browser
    page = _open(d, tmp_path, sample_report())
    assert d.title == "modelcheck report"
    assert d.execute_script("return window.__xss === undefined && "
                            "document.querySelectorAll('img').length === 0")
    assert len(_visible(d)) == 6
    shown = d.find_element(By.ID, "shown")
    assert shown.text == "6 of 6 packages shown, 5 findings"
    _select(d, "flevel", "error")
    assert sorted(_visible(d)) == sorted(["models/churn", f"models/{IMG}"])
    _select(d, "flevel", "")
    _select(d, "frule", "MC512")
    assert sorted(_visible(d)) == ["models/churn", "models/fraud"]
    _select(d, "frule", "")
    q = d.find_element(By.ID, "q")
    q.send_keys("utc_time_created")  # text of a finding inside the collapsed details
    assert _visible(d) == ["models/old"] and shown.text == "1 of 6 packages shown, 1 findings"
    assert _hash(d) == {"q": "utc_time_created"}
    q.clear()
    q.send_keys(" ")  # clear() fires no input event; a key does
    assert len(_visible(d)) == 6
    # clicking a row of the per-version table filters by that version
    d.find_element(By.CSS_SELECTOR, '#versions tr[data-val="3.1.0"]').click()
    assert sorted(_visible(d)) == ["models/clean-a", "models/fraud"]
    assert _value(d, "fver") == "3.1.0" and _hash(d)["version"] == "3.1.0"
    _select(d, "fver", "")
    # sorting: errors, largest first on the first click
    head = d.find_element(By.CSS_SELECTOR, '#pkgs th[data-key="errors"]')
    head.click()
    assert sorted(_visible(d)[:2]) == sorted(["models/churn", f"models/{IMG}"])
    assert head.get_attribute("aria-sort") == "descending" and _hash(d)["psort"] == "errors-desc"
    by_path = d.find_element(By.CSS_SELECTOR, '#pkgs th[data-key="path"]')
    by_path.click()
    asc = _visible(d)
    assert asc.index("models/clean-a") + 1 == asc.index("models/clean-b")
    assert head.get_attribute("aria-sort") is None
    by_path.click()
    assert _visible(d) == asc[::-1]
    # a row opens its findings; the hostile message shows as text
    row = d.find_element(By.CSS_SELECTOR, f'tbody.pkg[data-path="models/{IMG}"] tr.row')
    detail = d.find_element(By.CSS_SELECTOR, f'tbody.pkg[data-path="models/{IMG}"] tr.det')
    assert not detail.is_displayed() and row.get_attribute("aria-expanded") == "false"
    row.click()
    assert detail.is_displayed() and HOSTILE in detail.text
    assert row.get_attribute("aria-expanded") == "true"
    row.send_keys(" ")  # the keyboard closes it again
    assert not detail.is_displayed() and row.get_attribute("aria-expanded") == "false"
    urls = [json.loads(e["message"])["message"].get("params", {}).get("request", {})
            .get("url") for e in d.get_log("performance")]
    # chrome://, devtools:// and about: are the browser's own pages, data: is inline
    urls = [u for u in urls if u and not u.startswith(("chrome://", "devtools://", "data:",
                                                      "about:"))]
    assert urls and all(u.split("#")[0] == page.as_uri() for u in urls), urls
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


@needs_browser
def test_rule_filter_shows_only_that_rules_findings(browser, tmp_path):
    d = browser
    _open(d, tmp_path, sample_report())
    _expand_all(d)
    churn = 'tbody.pkg[data-path="models/churn"] .find'
    assert sorted(_visible(d, churn, "data-code")) == ["MC301", "MC512"]
    _select(d, "frule", "MC512")
    assert sorted(_visible(d)) == ["models/churn", "models/fraud"]
    assert _visible(d, churn, "data-code") == ["MC512"]  # churn's MC301 is hidden
    assert _visible(d, "#pkgs .find", "data-code") == ["MC512", "MC512"]
    hid = d.execute_script("return document.querySelector("
                           "'tbody.pkg[data-path=\"models/churn\"] .hid').textContent")
    assert hid == "1 of 2 findings hidden by the filter"
    # level and text search combine with it
    _select(d, "flevel", "error")
    assert _visible(d) == []
    _select(d, "frule", "")
    assert sorted(_visible(d)) == sorted(["models/churn", f"models/{IMG}"])
    assert _visible(d, churn, "data-code") == ["MC301"]
    _select(d, "flevel", "clean")
    assert sorted(_visible(d)) == ["models/clean-a", "models/clean-b"]
    _select(d, "flevel", "")
    assert sorted(_visible(d, churn, "data-code")) == ["MC301", "MC512"]  # all back


@needs_browser
def test_hash_restores_state_on_reload_link_and_back(browser, tmp_path):
    from selenium.webdriver.common.by import By

    d = browser
    page = _open(d, tmp_path, sample_report())
    _select(d, "frule", "MC512")
    _wait(d, lambda: _hash(d) == {"rule": "MC512"}, "rule in the hash")
    _select(d, "flevel", "warning")
    _wait(d, lambda: _hash(d) == {"rule": "MC512", "level": "warning"}, "level in the hash")
    d.refresh()
    assert _value(d, "frule") == "MC512" and _value(d, "flevel") == "warning"
    assert sorted(_visible(d)) == ["models/churn", "models/fraud"]
    d.back()  # undoes the level
    _wait(d, lambda: _value(d, "flevel") == "", "back: level cleared")
    assert _value(d, "frule") == "MC512" and sorted(_visible(d)) == ["models/churn",
                                                                      "models/fraud"]
    d.back()  # undoes the rule
    _wait(d, lambda: _value(d, "frule") == "", "back: rule cleared")
    assert len(_visible(d)) == 6
    d.forward()
    _wait(d, lambda: _value(d, "frule") == "MC512", "forward: rule again")
    assert sorted(_visible(d)) == ["models/churn", "models/fraud"]
    # a search is one history entry, not one per key
    d.find_element(By.ID, "q").send_keys("fraud")
    _wait(d, lambda: _hash(d) == {"rule": "MC512", "q": "fraud"}, "search in the hash")
    assert _visible(d) == ["models/fraud"]
    d.back()
    _wait(d, lambda: _value(d, "q") == "", "back: search cleared in one step")
    assert _value(d, "frule") == "MC512" and len(_visible(d)) == 2
    # a link opens the filtered view
    d.get("about:blank")
    d.get(page.as_uri() + "#level=error&q=signature&psort=path-desc")
    assert _visible(d) == ["models/churn"] and _value(d, "q") == "signature"
    d.get("about:blank")
    d.get(page.as_uri() + "#level=clean")
    assert sorted(_visible(d)) == ["models/clean-a", "models/clean-b"]
    # a rule this report does not have: nothing shown, and the select says why
    d.get("about:blank")
    d.get(page.as_uri() + "#rule=MC999")
    assert _visible(d) == [] and _value(d, "frule") == "MC999"
    assert "not in this report" in d.execute_script(
        "var s=document.getElementById('frule');return s.options[s.selectedIndex].text")
    # editing the hash by hand applies it too (hashchange)
    d.execute_script("location.hash = 'rule=MC105'")
    _wait(d, lambda: _visible(d) == ["models/old"], "hashchange applied")


def sort_report() -> Report:
    """Rules whose order differs by code, count, level and packages."""
    pkgs = [PackageResult("a", [_f("MC100", Level.NOTE, "a", f"n{i}", line=i)
                                for i in range(1, 6)]
                          + [_f("MC300", Level.WARNING, "a", "w")], "2.5.0"),
            PackageResult("b", [_f("MC200", Level.ERROR, "b", "e"),
                                _f("MC300", Level.WARNING, "b", "w")], "2.5.0"),
            PackageResult("c", [_f("MC300", Level.WARNING, "c", "w")], "2.5.0")]
    return Report(packages=pkgs)


@needs_browser
def test_by_rule_table_sorts(browser, tmp_path):
    from selenium.webdriver.common.by import By

    d = browser
    _open(d, tmp_path, sort_report())
    codes = lambda: _visible(d, "#rules tbody tr", "data-code")  # noqa: E731
    assert codes() == ["MC100", "MC300", "MC200"]  # default: most findings first

    def click(key: str) -> None:
        d.find_element(By.CSS_SELECTOR, f'#rules th[data-key="{key}"] button').click()

    def aria(key: str) -> str | None:
        return d.find_element(By.CSS_SELECTOR,
                              f'#rules th[data-key="{key}"]').get_attribute("aria-sort")

    click("code")
    assert codes() == ["MC100", "MC200", "MC300"] and aria("code") == "ascending"
    assert _hash(d) == {"sort": "code-asc"}
    click("code")
    assert codes() == ["MC300", "MC200", "MC100"] and aria("code") == "descending"
    click("packages")  # 3, then a tie of 1 and 1 broken by code
    assert codes() == ["MC300", "MC100", "MC200"] and aria("packages") == "descending"
    assert aria("code") is None
    click("level")  # worst first
    assert codes() == ["MC200", "MC300", "MC100"] and _hash(d) == {"sort": "level-desc"}
    click("count")
    assert codes() == ["MC100", "MC300", "MC200"]
    click("count")
    assert codes() == ["MC200", "MC300", "MC100"] and _hash(d) == {"sort": "count-asc"}
    d.refresh()
    assert codes() == ["MC200", "MC300", "MC100"] and aria("count") == "ascending"
    d.back()
    _wait(d, lambda: codes() == ["MC100", "MC300", "MC200"], "back: previous sort")
    # the keyboard: the header's button sorts on Enter
    d.find_element(By.CSS_SELECTOR, '#rules th[data-key="code"] button').send_keys("\n")
    _wait(d, lambda: codes() == ["MC100", "MC200", "MC300"], "sorted from the keyboard")
    # the rule table still picks a rule
    d.find_element(By.CSS_SELECTOR, '#rules tr[data-code="MC200"] td').click()
    assert _visible(d) == ["b"] and _hash(d)["rule"] == "MC200"


@needs_browser
def test_model_filter_registry_summary_and_header(browser, tmp_path):
    from selenium.webdriver.common.by import By

    d = browser
    _open(d, tmp_path, registry_report())
    assert d.execute_script("return window.__xss === undefined && "
                            "document.querySelectorAll('img').length === 0 && "
                            "document.scripts.length === 1")
    assert len(_visible(d)) == 6
    _select(d, "fmodel", "churn")
    assert sorted(_visible(d)) == ["models:/churn/2", "models:/churn@challenger",
                                   "models:/churn@champion"]
    _select(d, "flevel", "error")
    assert _visible(d) == ["models:/churn@champion"]
    assert _hash(d) == {"model": "churn", "level": "error"}
    _select(d, "flevel", "")
    # a row of the registry summary filters by its model
    d.find_element(By.CSS_SELECTOR, '#registry tbody[data-model="fraud"] tr').click()
    assert _visible(d) == ["models:/fraud/Production"] and _value(d, "fmodel") == "fraud"
    # the hostile model: its name is text, its filter works
    _select(d, "fmodel", EVIL)
    assert _visible(d) == [f"models:/{EVIL}/latest"]
    d.refresh()
    assert _value(d, "fmodel") == EVIL and _visible(d) == [f"models:/{EVIL}/latest"]
    _select(d, "fmodel", "")
    # provenance columns sort: registry version, largest first
    d.find_element(By.CSS_SELECTOR, '#pkgs th[data-key="mversion"]').click()
    order = _visible(d)
    assert order[0] == "models:/fraud/Production" and order[-1] == "local/pkg"
    # the registry summary as the reader sees it
    rows = d.execute_script(
        "return Array.from(document.querySelectorAll('#registry tbody')).map(b => "
        "[b.dataset.model, Array.from(b.rows).map(r => Array.from(r.cells).slice(-7)"
        ".map(c => c.innerText.trim()))])")
    by_model = {m: {r[0]: r[1:] for r in rs} for m, rs in rows}  # label: version, verdict...
    assert by_model["churn"]["Production"] == ["3", "fail", "1", "0", "0",
                                               "models:/churn@champion"]
    assert by_model["churn"]["@challenger"][:2] == ["4", "pass"]
    assert by_model["fraud"]["Production"][:2] == ["7", "not checked"]
    assert by_model[EVIL][f"@a{XSS}"][:3] == ["1", "pass", "0"]
    # the header: settings are collapsed until asked for
    settings = d.find_element(By.CSS_SELECTOR, "#settings table")
    assert not settings.is_displayed()
    d.find_element(By.CSS_SELECTOR, "#settings summary").click()
    assert settings.is_displayed() and '"***"' in settings.text and "fail_on" in settings.text
    inv = d.find_element(By.ID, "invocation").text
    assert "9.9.9" in inv and "2026-01-02T03:04:05Z" in inv and f"dir/{XSS}" in inv
    assert d.execute_script("return window.__xss === undefined")
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


@needs_browser
def test_hostile_hash_is_only_text(browser, tmp_path):
    from urllib.parse import quote

    d = browser
    page = _open(d, tmp_path, registry_report())
    d.get("about:blank")
    d.get(page.as_uri() + "#q=" + quote(XSS) + "&rule=" + quote(XSS) + "&sort=" + quote(XSS))
    assert _value(d, "q") == XSS and _value(d, "frule") == XSS and _visible(d) == []
    assert d.execute_script("return window.__xss === undefined && "
                            "document.querySelectorAll('img').length === 0")


@needs_browser
def test_real_check_in_browser(browser, tmp_path):
    from selenium.webdriver.common.by import By

    d = browser
    report = real_check_report(tmp_path)
    _open(d, tmp_path, report)
    assert len(_visible(d)) == len(report.packages)
    code = d.find_element(By.CSS_SELECTOR, "#rules tbody tr").get_attribute("data-code")
    d.find_element(By.CSS_SELECTOR, "#rules tbody tr td").click()
    want = sorted({p.display for p in report.packages
                   if any(f.code == code for f in p.findings)})
    assert sorted(_visible(d)) == want
    _expand_all(d)
    n = sum(f.code == code for f in report.findings)
    assert _visible(d, "#pkgs .find", "data-code") == [code] * n


def big_report(packages: int = 500, per: int = 10) -> Report:
    levels = (Level.ERROR, Level.WARNING, Level.NOTE)
    pkgs = []
    for i in range(packages):
        name = f"models/m{i:04d}"
        findings = [_f(f"MC{100 + (i * 7 + j) % 40}", levels[(i + j) % 3], name,
                       f"message {i} {j} about a field that is wrong", file="MLmodel", line=j)
                    for j in range(per)]
        pkgs.append(PackageResult(name, findings, f"2.{i % 20}.0", ("python_function",),
                                  _prov(f"model{i % 50}", str(i // 50 + 1), "*")))
    return Report(packages=pkgs)


@needs_browser
def test_large_report_stays_quick(browser, tmp_path):
    from selenium.webdriver.common.by import By

    d = browser
    report = big_report()
    assert len(report.findings) == 5000
    page = _open(d, tmp_path, report, name="big.html")
    timing = d.execute_script(
        "var n = performance.getEntriesByType('navigation')[0];"
        "return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, init: window.__mcInitMs}")

    def timed(script: str) -> float:  # a change and the layout it causes
        return d.execute_script("var t = performance.now();" + script +
                                ";document.body.offsetHeight;return performance.now() - t")

    rule = timed("var s = document.getElementById('frule'); s.value = 'MC105';"
                 "s.dispatchEvent(new Event('change'))")
    assert len(_visible(d)) == sum(any(f.code == "MC105" for f in p.findings)
                                   for p in report.packages)
    _select(d, "frule", "")
    text = timed("var q = document.getElementById('q'); q.value = 'message 499 ';"
                 "q.dispatchEvent(new Event('input'))")
    assert _visible(d) == ["models/m0499"]
    sort = timed("document.querySelector('#pkgs th[data-key=\"errors\"]').click()")
    d.find_element(By.ID, "q").clear()
    print(f"\n5000-finding page: {page.stat().st_size / 1e6:.2f} MB, DOMContentLoaded "
          f"{timing['dcl']:.0f} ms, load {timing['load']:.0f} ms, script init "
          f"{timing['init']:.0f} ms; rule filter {rule:.0f} ms, text search {text:.0f} ms, "
          f"sort {sort:.0f} ms")
    # generous bounds on a shared 2-core machine: seconds would mean something quadratic
    assert timing["init"] < 1500 and rule < 1500 and text < 1500 and sort < 1500
    assert timing["load"] < 10000


@needs_browser
def test_clean_and_empty_reports_in_browser(browser, tmp_path):
    d = browser
    _open(d, tmp_path, Report(packages=[PackageResult("a", [], "2.5.0")]),
          "#sort=count-desc&psort=errors-desc&rule=MC1&level=clean")
    assert _visible(d) == [] and _value(d, "flevel") == "clean"
    d.execute_script("location.hash = 'level=clean'")
    _wait(d, lambda: _visible(d) == ["a"], "the clean package")
    _open(d, tmp_path, Report(), "#q=x", name="empty.html")
    assert d.find_element("id", "shown").text == "0 of 0 packages shown, 0 findings"
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
