"""The main flows of each role, driven in Chromium; every main page on a phone without sideways
scrolling; axe-core on the main pages; the command palette; the style guide."""

import shutil
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from tandem.handoff.models import Handoff
from tandem.marketing.models import Campaign
from tandem.sales import pricing
from tandem.sales.models import DiscountRequest, Opportunity
from tests import factories as f
from tests.test_browser import CHROMIUM, browser, login, page  # noqa: F401 - fixtures
from tests.test_pricing import catalog  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]
PHONE = {"width": 390, "height": 844}


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_marketer_builds_a_segment_and_sends_a_campaign(page, world, smtp):  # noqa: F811
    for n in range(3):
        f.person(country="DE", consent="granted", email=f"de{n}@example.test")
    f.person(country="FR", consent="granted", email="fr@example.test")
    login(page, world.marketer.username)
    page.goto("/marketing/segments/new")
    page.select_option("#r-n1-field", "country")
    page.wait_for_selector("#r-n1-value")
    page.fill("#r-n1-value", "DE")
    page.press("#r-n1-value", "Tab")
    page.wait_for_selector("[data-testid=segment-count]:text-is('3')")
    # an OR group: Germany, or France with a score of 0 or more
    page.click("[data-qb-group=root] > .qb-add [data-qb-add=group]")
    group = page.locator("[data-qb-group]:not([data-qb-group=root])")
    group.locator("select.qb-field").select_option("country")
    group.locator("input[name$=-value]").fill("FR")
    group.locator("input[name$=-value]").press("Tab")
    page.select_option("#g-root-match", "any")
    page.wait_for_selector("[data-testid=segment-count]:text-is('4')")
    page.fill("#id_name", "Germany and France")
    page.click("button:has-text('Save segment')")
    page.wait_for_selector("[data-testid=segment-total]:text-is('4')")
    page.click("text=Email them")
    page.fill("#id_name", "Autumn news")
    page.click("#id_program")
    page.keyboard.type("webinar")
    page.click(f"#pick-program-{world.program.pk}")
    page.fill("#id_subject", "Hello {{ first_name }}")
    page.fill("#id_body", "News from us.")
    page.click("button:has-text('Save')")
    page.wait_for_selector("[data-testid=audience]:text-is('4')")
    page.click("[data-testid=send-now]")
    page.wait_for_selector("text=Sending has started in the background.")
    run_worker()
    page.reload()
    page.wait_for_selector("[data-testid=campaign-status]:has-text('Sent')")
    assert Campaign.objects.get(name="Autumn news").status == "sent"
    assert len(smtp.parsed()) == 4
    assert page.outside == [] and page.problems == []


def test_rep_on_a_phone_works_a_handoff_logs_a_call_and_wins(browser, live_server, world):  # noqa: F811
    lead = f.person(first_name="Hana", last_name="Eriksen", organization=world.org)
    Handoff.objects.create(
        person=lead, rep=world.owner, due_at=timezone.now() + timedelta(hours=4), rule="test"
    )
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, has_touch=True)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    problems = []
    pg.on("console", lambda m: m.type == "error" and problems.append(m.text))
    login(pg, world.owner.username)
    pg.goto("/handoff/inbox/")
    pg.click("text=Accept and open a deal")
    pg.wait_for_selector("[data-testid=move-form]")
    deal = Opportunity.objects.get(person=lead)
    assert pg.url.endswith(f"/sales/opportunities/{deal.pk}/")
    pg.click("[data-testid=qa-call]")
    pg.wait_for_selector("#drawer[open] #id_subject")
    pg.fill("#id_subject", "Discovery call")
    pg.fill("#id_due_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    pg.check("#id_done")
    pg.click("#drawer button:has-text('Log a call')")
    pg.wait_for_selector("[data-testid=timeline] >> text=Discovery call")
    pg.select_option("#move-stage", label=pg.locator("#move-stage option", has_text="Closed won")
                     .inner_text())  # fmt: skip
    pg.click("[data-testid=move-form] button[type=submit]")
    pg.wait_for_selector("[data-testid=stage] >> text=Closed won")
    deal.refresh_from_db()
    assert deal.stage.kind == "won"
    wide = pg.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert wide <= 0 and problems == []
    context.close()


def test_manager_approves_a_discount_and_reads_the_dashboard(page, world, catalog):  # noqa: F811
    line = pricing.line_add(
        actor=world.owner,
        opportunity=world.opportunity,
        product=catalog["core"],
        quantity=2,
        unit_price=Decimal("800"),
        reason="Competitive deal",
    )
    request = DiscountRequest.objects.get(line=line)
    login(page, world.sales_manager.username)
    page.goto("/sales/pricing/")
    page.fill(f"#comment-{request.pk}", "Fine this once")
    page.click("[data-testid=approve]")
    page.wait_for_selector("[data-testid=pending] >> text=Nothing waiting")
    request.refresh_from_db()
    assert request.status == "approved"
    page.goto("/")
    page.wait_for_selector("canvas[data-chart][data-drawn='1']")
    page.click("[data-testid=home-quota] a >> nth=0")
    page.wait_for_load_state("networkidle")
    assert "/sales/" in page.url
    assert page.outside == [] and page.problems == []


def test_the_command_palette_finds_a_record_and_a_page(page, world):  # noqa: F811
    login(page, world.owner.username)
    page.keyboard.press("Control+k")
    page.wait_for_selector("dialog.palette[open]")
    page.keyboard.type("Olive")
    page.wait_for_selector(".palette-list [role=option] >> text=Olive Owned")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/contacts/people/{world.person.pk}/")
    page.keyboard.press("Control+k")
    page.keyboard.type("My day")
    page.wait_for_selector(".palette-list [role=option] >> text=My day")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sales/my-day/")
    assert page.problems == []


def _main_pages(world) -> list[tuple[str, str]]:
    """(user, path) of the main pages, each read by a role that uses it."""
    rep, mgr, mkt, adm = (world.owner.username, world.sales_manager.username,
                          world.marketer.username, world.admin.username)  # fmt: skip
    return [
        (rep, "/"),
        (rep, "/sales/my-day/"),
        (rep, "/sales/board/"),
        (rep, "/sales/opportunities/"),
        (rep, f"/sales/opportunities/{world.opportunity.pk}/"),
        (rep, "/contacts/people/"),
        (rep, f"/contacts/people/{world.person.pk}/"),
        (rep, f"/contacts/organizations/{world.org.pk}/"),
        (rep, "/sales/activities/"),
        (rep, "/handoff/inbox/"),
        (mgr, "/"),
        (mgr, "/sales/forecast/"),
        (mgr, "/handoff/sla/"),
        (mgr, "/sales/pricing/"),
        (mkt, "/"),
        (mkt, "/marketing/programs/"),
        (mkt, f"/marketing/programs/{world.program.pk}/"),
        (mkt, "/marketing/segments/new"),
        (mkt, "/marketing/campaigns/"),
        (mkt, "/marketing/forms/"),
        (mkt, "/handoff/mqls/"),
        (mkt, "/insights/"),
        (mkt, "/insights/r/funnel/"),
        (mkt, "/transfer/imports/"),
        (adm, "/settings/"),
        (adm, "/settings/users/"),
        (adm, "/settings/pipelines/"),
    ]


def _visit_all(browser, live_server, world, viewport, check):  # noqa: F811
    by_user: dict[str, list[str]] = {}
    for user, path in _main_pages(world):
        by_user.setdefault(user, []).append(path)
    failures = []
    for user, paths in by_user.items():
        context = browser.new_context(base_url=live_server.url, viewport=viewport)
        pg = context.new_page()
        pg.set_default_timeout(15_000)
        login(pg, user)
        for path in paths:
            response = pg.goto(path)
            pg.wait_for_load_state("networkidle")
            assert response.status == 200, (user, path, response.status)
            failures += [f"{user} {path}: {problem}" for problem in check(pg)]
        context.close()
    return failures


def test_no_main_page_scrolls_sideways_on_a_phone(browser, live_server, world):  # noqa: F811
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"

    def sideways(pg):
        # a chart drawn after the page loaded may be resized to its card a moment later; the
        # page's CSP forbids eval, so this polls by evaluate rather than wait_for_function
        extra = pg.evaluate(overflow)
        for _ in range(30):
            if extra <= 0:
                break
            pg.wait_for_timeout(100)
            extra = pg.evaluate(overflow)
        return [f"{extra}px wider than the screen"] if extra > 0 else []

    assert _visit_all(browser, live_server, world, PHONE, sideways) == []


def test_axe_finds_nothing_serious_on_the_main_pages(browser, live_server, world):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def serious(pg):
        results = axe.run(pg)
        return [
            f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    assert _visit_all(browser, live_server, world, {"width": 1440, "height": 900}, serious) == []


def test_the_style_guide_shows_every_component(page, world, tmp_path):  # noqa: F811
    world.admin.is_staff = True
    world.admin.save()
    login(page, world.admin.username)
    page.goto("/styleguide/")
    page.wait_for_selector("canvas[data-chart][data-drawn='1']")
    page.screenshot(path=str(tmp_path / "styleguide-1440.png"), full_page=True)
    page.click("[data-testid=sg-toast]")
    page.wait_for_selector(".toast >> text=Saved: the toast says what happened.")
    page.click("[data-testid=sg-drawer]")
    page.wait_for_selector("#drawer[open] >> text=A form in the drawer")
    page.click("#drawer button[type=submit]")
    page.wait_for_selector("#drawer >> text=This field is required.")
    page.set_viewport_size(PHONE)
    page.goto("/styleguide/")
    page.screenshot(path=str(tmp_path / "styleguide-390.png"), full_page=True)
    assert (tmp_path / "styleguide-390.png").stat().st_size > 10_000
    assert page.outside == [] and page.problems == []
