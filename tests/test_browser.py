"""Chromium, driven by Playwright, logs in as each role and checks what each one sees."""

import os
import shutil
from urllib.parse import urlparse

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories as f

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls in fixtures are safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.outside, pg.problems = [], []
    host = urlparse(live_server.url).hostname
    pg.on("request", lambda r: urlparse(r.url).hostname != host and pg.outside.append(r.url))
    pg.on("console", lambda m: m.type == "error" and pg.problems.append(m.text))
    yield pg
    context.close()


def login(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", "pw-test-123")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=me-button]")


# role -> (text on home, list page, text the list must show, nav links present / absent)
ROLES = {
    "marketer": (
        "Leads by program this month",
        "/marketing/programs/",
        "Marketer Webinar",
        ["Programs", "Prices", "MQL queue"],
        ["Deals", "Pipeline", "My day", "Commissions"],
    ),
    "marketing_manager": (
        "Leads by program this month",
        "/contacts/people/",
        "Olive",
        ["Programs", "Deals", "Pipeline"],
        ["Activities", "My day", "Commissions"],
    ),
    "owner": (
        "My pipeline by stage",
        "/sales/opportunities/",
        "Owner Deal",
        ["Pipeline", "Deals", "My day", "Forecast", "Commissions", "Partners", "Territories"],
        ["Django admin", "Programs", "Prices"],
    ),
    "sales_manager": (
        "Quota attainment",
        "/sales/opportunities/",
        "Owner Deal",
        ["Deals", "SLA board"],
        ["Django admin", "Programs"],
    ),
    "admin": (
        "Quota attainment",
        "/contacts/organizations/",
        "Owner Org",
        ["Django admin", "Programs", "Users"],
        [],
    ),
}


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_logs_in_and_sees_its_world(page, world, role):
    home_text, list_url, list_text, present, absent = ROLES[role]
    f.person(source_program=world.program, first_touch_at=timezone.now())
    login(page, getattr(world, role).username)
    # the panels that aggregate the workspace come after the page: each placeholder is replaced
    expect(page.locator("[data-testid=panel-loading]")).to_have_count(0)
    assert home_text in page.content()
    nav = page.locator("#sidebar nav").inner_text()
    assert all(link in nav for link in present), nav
    assert not any(link in nav for link in absent), nav
    page.goto(list_url)
    assert list_text in page.locator("#results").inner_text()
    page.click(f"#results a:has-text('{list_text}')")
    page.wait_for_load_state()
    assert list_text in page.locator("h1").inner_text()
    assert page.outside == [] and page.problems == []


def test_rep_filters_with_htmx_and_outsider_sees_nothing(page, world):
    login(page, world.owner.username)
    page.goto("/contacts/people/")
    page.fill("#people-q", "olive")
    page.press("#people-q", "Enter")
    page.wait_for_url("**q=olive**")
    assert "1 result" in page.locator("#results").inner_text()
    page.click("[data-testid=me-button]")
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/accounts/login/")
    login(page, world.outsider.username)
    response = page.goto(f"/sales/opportunities/{world.opportunity.pk}/")
    assert response.status == 404 and "Owner Deal" not in page.content()
    page.goto("/sales/opportunities/")
    assert "No deals match" in page.locator("#results").inner_text()
    # The only console error is the browser logging the 404 we asked for.
    assert all("404" in problem for problem in page.problems), page.problems


def test_drag_a_deal_across_stages_then_close_it_lost(page, world):
    from tandem.sales.models import Competitor, LossReason

    LossReason.objects.update_or_create(
        name="Lost to competitor", defaults={"names_competitor": True}
    )[0]
    Competitor.objects.get_or_create(name="Rival CRM")[0]
    card = f"[data-testid=card-{world.opportunity.pk}]"
    login(page, world.owner.username)
    page.goto("/sales/board/")
    page.drag_and_drop(card, "[data-testid=column-present]")
    page.wait_for_selector(f"[data-testid=column-present] {card}")
    # The keyboard path: the card's own "Move…" menu.
    page.focus(f"{card} summary")
    page.keyboard.press("Enter")
    page.select_option(f"{card} select[name=stage]", label="Negotiate")
    page.click(f"{card} button:has-text('Move')")
    page.wait_for_selector(f"[data-testid=column-negotiate] {card}")
    page.drag_and_drop(card, "[data-testid=column-closed-lost]")
    dialog = page.wait_for_selector("[data-testid=close-lost]")
    assert "Closing lost needs a loss reason." in dialog.inner_text()
    page.select_option(
        "[data-testid=close-lost] select[name=loss_reason]", label="Lost to competitor"
    )
    page.click("[data-testid=close-lost] button[type=submit]")
    page.wait_for_selector("[data-testid=close-lost] >> text=Name the competitor")
    page.select_option(
        "[data-testid=close-lost] select[name=loss_reason]", label="Lost to competitor"
    )
    page.select_option("[data-testid=close-lost] select[name=lost_to]", label="Rival CRM")
    page.click("[data-testid=close-lost] button[type=submit]")
    page.wait_for_selector(card, state="detached")
    world.opportunity.refresh_from_db()
    assert world.opportunity.stage.name == "Closed lost"
    assert (world.opportunity.loss_reason.name, world.opportunity.lost_to.name) == (
        "Lost to competitor",
        "Rival CRM",
    )
    stages = list(
        world.opportunity.stage_history.order_by("entered_at", "id").values_list(
            "stage__name", flat=True
        )
    )
    assert stages == ["Qualify", "Present", "Negotiate", "Closed lost"]
    assert page.outside == [] and page.problems == []


def test_report_chart_drill_and_plan_in_the_browser(page, world):
    """The attribution chart draws with the app's own Chart.js (no CDN, no CSP error), a number
    drills down to its deals, and a manager records a control action on a plan."""
    from decimal import Decimal

    from tandem.insights import plans
    from tandem.marketing.models import Touch
    from tandem.sales.models import Opportunity, Stage

    buyer = f.person(source_program=world.program, first_touch_at=timezone.now())
    Touch.objects.create(person=buyer, program=world.program, kind="form_submitted")
    deal = f.opportunity(world.owner, person=buyer, name="Charted Deal", amount=Decimal("7000"),
                         stage=Stage.objects.get(name="Closed won"))  # fmt: skip
    Opportunity.objects.filter(pk=deal.pk).update(closed_at=timezone.now())
    login(page, world.marketing_manager.username)
    page.goto("/insights/r/attribution/")
    page.wait_for_selector("canvas[data-chart][data-drawn='1']")
    page.click("[data-testid=report-table] a[data-drill]")
    page.wait_for_selector("[data-testid=drill-table]")
    assert "Charted Deal" in page.inner_text("[data-testid=drill-table]")
    start = date_of_quarter_start()
    plan = plans.plan_create(actor=world.marketing_manager, kind="quarter", period_start=start)
    page.goto(f"/insights/plans/{plan.pk}/")
    page.fill("[data-testid=action-form] textarea", "Shift spend to webinars")
    page.click("[data-testid=action-form] button")
    page.wait_for_selector("text=Control action recorded.")
    assert "Shift spend to webinars" in page.inner_text("[data-testid=actions]")
    assert page.outside == [] and page.problems == []


def date_of_quarter_start():
    from datetime import date

    today = timezone.localdate()
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


def test_import_wizard_runs_then_undoes_while_the_page_follows(page, world, settings, tmp_path):
    from django.core.management import call_command

    from tandem.contacts.models import Person

    settings.TANDEM_IMPORT_DIR = tmp_path
    csv_file = tmp_path / "leads.csv"
    csv_file.write_text(
        "Email,First Name,Last Name,Company Name\n"
        "ada@example.com,Ada,<b>Lovelace</b>,Analytical Engines\n"
        "not-an-email,Bad,Row,\n",
        encoding="utf-8",
    )
    login(page, world.marketer.username)
    page.goto("/transfer/imports/")
    page.set_input_files("input[name=file]", str(csv_file))
    page.click("button:has-text('Upload and preview')")
    page.wait_for_selector("[data-testid=job-status]:has-text('Reading the file')")
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    page.wait_for_selector("[data-testid=mapping]")  # the page reloads once the file is read
    mapping = page.locator("[data-testid=mapping]").inner_text()
    assert "<b>Lovelace</b>" in mapping  # shown as text, not markup
    page.click("button:has-text('Start the import')")
    page.wait_for_selector("[data-testid=job-status]:has-text('Queued')")
    worker = ["db_worker", "--batch", "--no-startup-delay", "--no-reload"]
    call_command(*worker, verbosity=0)  # the page polls until the worker is done
    page.wait_for_selector("[data-testid=job-counts]:has-text('1 created')")
    assert "1 failed" in page.locator("[data-testid=job-counts]").inner_text()
    assert Person.objects.filter(email_normalized="ada@example.com").exists()
    page.reload()
    page.click("button:has-text('Undo this import')")
    page.wait_for_selector("[data-testid=undoing]")
    call_command(*worker, verbosity=0)
    page.wait_for_selector("[data-testid=removed]:has-text('Undo removed 1 record')")
    assert not Person.objects.filter(email_normalized="ada@example.com").exists()
    assert page.outside == [] and page.problems == []
