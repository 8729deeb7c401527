"""`make screenshots`: the main pages at 1440×900 and 390×844, as each page's usual reader
sees them, into docs/screenshots/. Runs against a server that serves the demo workspace
(SCREENSHOT_URL, http://127.0.0.1:8000 by default; `make run` starts one).

    .venv/bin/python bench/screenshots.py [--only NAME ...] [--out DIR] [--dark]
"""

import argparse
import os
import re
from pathlib import Path

from main_pages import PAGES
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
BASE = os.environ.get("SCREENSHOT_URL", "http://127.0.0.1:8000")
PASSWORD = os.environ.get("SCREENSHOT_PASSWORD", "tandem-demo")
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}


def _login(page, username):
    page.goto(f"{BASE}/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def _resolve(page, path: str) -> str:
    if not path.startswith("first:"):
        return path
    _, listing, pattern = path.split(":", 2)
    page.goto(f"{BASE}{listing}")
    for href in page.eval_on_selector_all(
        "main a[href]", "els => els.map(e => e.getAttribute('href'))"
    ):
        if re.fullmatch(pattern, href or ""):
            return href
    raise SystemExit(f"no record link matching {pattern} on {listing}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--dark", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = args.only or list(PAGES)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        contexts = {}
        for name in names:
            who, path = PAGES[name]
            for size, (width, height) in SIZES.items():
                key = (who, size)
                if key not in contexts:
                    ctx = browser.new_context(
                        viewport={"width": width, "height": height},
                        color_scheme="dark" if args.dark else "light",
                    )
                    page = ctx.new_page()
                    if who:
                        _login(page, who)
                    contexts[key] = page
                page = contexts[key]
                target = _resolve(page, path)
                page.goto(f"{BASE}{target}")
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(300)  # charts finish their first draw
                suffix = "-dark" if args.dark else ""
                page.screenshot(path=str(out / f"{name}-{size}{suffix}.png"), full_page=False)
                wide = page.evaluate(
                    "document.documentElement.scrollWidth > document.documentElement.clientWidth"
                )
                if wide:
                    print(f"{name} {size}: scrolls sideways")
            print(f"{name}: done")
        browser.close()


if __name__ == "__main__":
    main()
