"""Server time of every main page (the pages `make screenshots` takes, each as its usual reader
opens it), against a bare endpoint in the same run, and the bytes a first load sends; then what
pages fetch once shown (the lazy home panels, the Insights cards), computed afresh each run.

The reference is `/livez` through the same client and middleware (session, CSRF, time zone,
one `SELECT 1`): the floor of any request here. Page and reference run alternately; the figures
are medians of BENCH_RUNS runs (7 by default) in ms of server time, in-process through Django's
test client (view, queries, template; no network). The first load is the page's HTML with the
CSS and JS it links (Chart.js apart, it loads only where a chart is drawn), raw and gzipped.

    make bench-pages                                     # the database of `make run`
    DATABASE_URL=postgresql://…/tandem_large .venv/bin/python bench/pages.py
    BENCH_ONLY=person,deal .venv/bin/python bench/pages.py  # some pages only
"""

import gzip
import os
import re
import statistics
import time

import common

os.environ.setdefault("TANDEM_ADMIN_MFA_REQUIRED", "0")  # the admin's pages, not the MFA step
common.setup()

from django.contrib.staticfiles import finders  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from main_pages import PAGES, record_link  # noqa: E402

from tandem.contacts.models import Person  # noqa: E402
from tandem.marketing.models import Touch  # noqa: E402
from tandem.sales.models import Opportunity  # noqa: E402

# What a page fetches after it is shown (lazy home panels, Insights cards): timed with the cache
# emptied before each run, so each figure is the computation, not the kept copy.
FRAGMENTS = {
    "panel-marketing": ("admin", "/home/panels/marketing"),
    "panel-team": ("admin", "/home/panels/team"),
    "panel-handoff": ("admin", "/home/panels/handoff"),
    "scoring-scores": ("maria", "/handoff/scoring/scores"),
    "card-funnel": ("maria", "/insights/card/funnel/"),
    "card-programs": ("maria", "/insights/card/programs/"),
}
# The main lists searched and sorted as people use them (issue 29: under 100 ms at 1M people).
SEARCHES = {
    "people-q-name": ("maria", "/contacts/people/?q=garcia"),
    "people-q-name-rep": ("rita", "/contacts/people/?q=garcia"),
    "people-q-name-admin": ("admin", "/contacts/people/?q=garcia"),
    "people-q-email-part": ("maria", "/contacts/people/?q=primemotors"),
    "orgs-q-name": ("sam", "/contacts/organizations/?q=analytics"),
    "deals-open-by-amount": ("sam", "/sales/opportunities/?status=open&sort=-amount"),
    "deals-q-name": ("rita", "/sales/opportunities/?q=acme"),
    "activities-open": ("rita", "/sales/activities/?done=false"),
}
ASSET = re.compile(r'<(?:link rel="stylesheet" href|script[^>]*? src)="(/static/[^"]+)"')


def _client(username: str | None) -> Client:
    return common.client_for(username) if username else Client()


def _resolve(client: Client, path: str) -> str:
    if not path.startswith("first:"):
        return path
    _, listing, pattern = path.split(":", 2)
    found = record_link(client.get(listing).content.decode(), pattern)
    if not found:
        raise SystemExit(f"no record link matching {pattern} on {listing}")
    return found


def _timed(client: Client, url: str, uncached: bool = False) -> float:
    if uncached:
        cache.clear()
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def first_load(html: bytes) -> tuple[int, int]:
    """Bytes of the HTML and the CSS and JS it links (Chart.js apart): raw and gzipped."""
    parts = [html]
    for url in ASSET.findall(html.decode()):
        if "chartjs" in url:
            continue
        path = finders.find(url.removeprefix("/static/"))
        if path:
            with open(path, "rb") as handle:
                parts.append(handle.read())
    return sum(len(p) for p in parts), sum(len(gzip.compress(p)) for p in parts)


def main() -> None:
    people = Person.objects.count()
    print(
        f"database: {connection.vendor}, people {people:,}, touches {Touch.objects.count():,}, "
        f"opportunities {Opportunity.objects.count():,}; runs per page: {common.RUNS}"
    )
    print(f"{'page':<20} {'user':<7} {'page ms':>8} {'bare ms':>8} {'ratio':>6} {'first load':>18}")
    clients: dict[str | None, Client] = {}
    medians = []
    only = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
    for name, (username, path) in {**PAGES, **SEARCHES, **FRAGMENTS}.items():
        if only and name not in only:
            continue
        fragment = name in FRAGMENTS
        client = clients.setdefault(username, _client(username))
        url = _resolve(client, path)
        _timed(client, url)  # warm: the first request of a process compiles templates
        page_times, bare_times = [], []
        for _ in range(common.RUNS):
            bare_times.append(_timed(client, "/livez"))
            page_times.append(_timed(client, url, uncached=fragment))
        page_ms, bare_ms = statistics.median(page_times), statistics.median(bare_times)
        raw, packed = (0, 0) if fragment else first_load(client.get(url).content)
        medians.append((page_ms, name))
        print(
            f"{name:<20} {username or '-':<7} {page_ms:8.1f} {bare_ms:8.2f} "
            f"{page_ms / bare_ms:6.1f} {raw / 1024:7.0f} KB ({packed / 1024:3.0f} gz)"
        )
    target = 300 if people > 100_000 else 100
    slowest, which = max(medians)
    print(
        f"\nmedian of the page medians {statistics.median(m for m, _ in medians):.1f} ms; "
        f"slowest {which} {slowest:.1f} ms (target under {target} ms at {people:,} people)"
    )


if __name__ == "__main__":
    main()
