"""Take docs/html-report.png: an HTML report in headless Chromium, one package opened.

    modelcheck check SOME/TREE -f html -o /tmp/report.html
    python docs/screenshot.py /tmp/report.html docs/html-report.png

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--window-size=1400,1400")


def main(page: str, png: str) -> None:
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as profile:
        for f in (*FLAGS, f"--user-data-dir={profile}"):
            opts.add_argument(f)
        d = webdriver.Chrome(options=opts, service=Service("/usr/bin/chromedriver"))
        try:
            d.get(Path(page).resolve().as_uri())
            # sort by errors, worst first, and open the first package
            head = d.find_element(By.CSS_SELECTOR, '#pkgs th[data-key="errors"]')
            head.click()
            head.click()
            d.find_element(By.CSS_SELECTOR, "#pkgs tbody.pkg tr.row").click()
            d.execute_script("window.scrollTo(0, 0)")
            d.save_screenshot(png)
        finally:
            d.quit()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
