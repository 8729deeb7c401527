"""The Insights dashboard's cards (each loaded after the page, kept per reader) and how the
programs card reads its figures: on two connections at once where it can."""

import pytest
from django.utils import timezone

from tandem.contacts.models import Person
from tandem.insights import programs
from tests import factories as f
from tests import test_insights as base

market = base.market  # four programs, 150 people, 50 closed deals
SINCE, UNTIL = base.SINCE, base.UNTIL


def test_the_dashboard_loads_each_card_and_says_what_a_chartless_one_asks_for(as_user, world):
    page = as_user(world.marketer).get("/insights/").content.decode()
    assert "Choose the outcome (won revenue or new MQLs)" in page  # attribution has no chart here
    assert 'hx-get="/insights/card/funnel/"' in page and "/insights/card/reps/" not in page
    card = as_user(world.marketer).get("/insights/card/funnel/").content.decode()
    assert "Nothing in the last 90 days yet." in card  # an empty workspace: no funnel to draw
    assert 'id="funnel-tiles"' in card and 'hx-swap-oob="true"' in card
    assert as_user(world.marketer).get("/insights/card/reps/").status_code in (403, 404)
    assert as_user(world.marketer).get("/insights/card/attribution/").status_code == 404


def test_a_dashboard_card_is_kept_in_the_cache_for_its_reader(as_user, world, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(world.marketer)
    with CaptureQueriesContext(connection) as first:
        empty = client.get("/insights/card/funnel/").content.decode()
    f.person(owner=world.marketer, lifecycle_stage="lead", first_touch_at=timezone.now())
    with CaptureQueriesContext(connection) as again:
        kept = client.get("/insights/card/funnel/").content.decode()
    assert kept == empty and "Nothing in the last 90 days yet." in kept  # not computed again
    assert len(again.captured_queries) < len(first.captured_queries)
    other = as_user(world.marketing_manager).get("/insights/card/funnel/").content.decode()
    assert "Reached lead" in other  # each reader has their own
    settings.TANDEM_CARD_CACHE_SECONDS = 0
    from django.core.cache import cache

    cache.clear()
    assert "Reached lead" in as_user(world.marketer).get("/insights/card/funnel/").content.decode()


def test_a_dashboard_card_draws_its_report(as_user, world):
    f.person(owner=world.marketer, lifecycle_stage="lead", first_touch_at=timezone.now())
    card = as_user(world.marketer).get("/insights/card/funnel/").content.decode()
    assert 'data-chart="chart-funnel"' in card and "Reached lead" in card


@pytest.mark.django_db(transaction=True)
def test_the_scorecard_read_on_two_connections_equals_one(market, monkeypatch):
    """Outside a transaction on PostgreSQL, the leads' counts are read on a second connection
    while the attribution runs (core.alongside): the figures equal those read in turn."""
    import threading
    from datetime import UTC, datetime, time

    from django.db import connection

    from tandem.core import alongside

    if connection.vendor != "postgresql":
        pytest.skip("SQLite reads in turn on its one connection")
    threads, original = [], programs.reached_in
    monkeypatch.setattr(
        programs, "reached_in", lambda p: threads.append(threading.get_ident()) or original(p)
    )
    # a lead on the period's last day in UTC that a reader 14 hours ahead counts the next day
    program = Person.objects.exclude(source_program=None).first().source_program
    f.person(source_program=program, first_touch_at=datetime.combine(UNTIL, time(12), UTC))
    params = programs.Params(SINCE, UNTIL, "linear")
    split = programs.figures(params)
    real = alongside.can_split
    monkeypatch.setattr(alongside, "can_split", lambda: False)
    in_turn = programs.figures(params)
    assert threads[0] != threading.get_ident() and threads[1] == threading.get_ident()
    assert split == in_turn and any(c["revenue"] for c in split.values())
    with timezone.override("Pacific/Kiritimati"):  # the reader's zone, as the middleware sets
        ahead_in_turn = programs.figures(params)
        monkeypatch.setattr(alongside, "can_split", real)
        ahead_split = programs.figures(params)
    assert ahead_in_turn[program.pk]["leads"] != split[program.pk]["leads"]
    assert ahead_split == ahead_in_turn  # the second connection counted the reader's days


def test_the_programs_card_draws_leads_and_mqls_without_attributing_revenue(market, as_user, world):
    """Its chart shows leads and MQLs per program: the same bars as the scorecard's page, and
    none of the journeys that attribute revenue (every deal's touches) is read for it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tandem.insights import dashboard, reports

    report = reports.REPORTS["programs"]
    _, params = reports.bind(report, {})
    page = programs.report(world.marketing_manager, params)
    with CaptureQueriesContext(connection) as read:
        html = as_user(world.marketing_manager).get("/insights/card/programs/").content.decode()
    assert 'data-chart="chart-programs"' in html
    sql = " ".join(q["sql"] for q in read.captured_queries)
    assert "marketing_touch" not in sql and "sales_opportunity" not in sql
    card = dashboard.card(world.marketing_manager, "programs")["c"]["chart"]
    assert card == page.chart and any(card["series"][0]["data"])
    table = programs.card(world.marketing_manager, params)
    assert {c.key for c in page.columns} - {c.key for c in table.columns} == {"revenue", "roi"}
    assert all("revenue" not in row and "roi" not in row for row in table.rows)
