"""Chromium fills in a hosted form, and the embed snippet on a page from another origin."""

import http.server
import shutil
import threading
from urllib.parse import urlparse

import pytest

from tandem.contacts.models import Person
from tandem.marketing.models import Touch
from tests import factories as f
from tests.test_browser import CHROMIUM, browser, login, page  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]
CONSENT = "Send me product news; I can unsubscribe at any time."


@pytest.fixture
def lead_form(world, settings, live_server):
    settings.TANDEM_BASE_URL = live_server.url
    return f.lead_form(world.program, world.marketer, consent_wording=CONSENT)


def test_hosted_form_shows_errors_keeps_input_then_accepts(page, lead_form):  # noqa: F811
    page.goto(f"/f/{lead_form.key}/?utm_source=ads&utm_campaign=autumn")
    page.fill("input[name=email]", "ada(at)example")
    page.fill("input[name=first_name]", "Ada")
    page.click("button[type=submit]")
    assert "Enter a valid email address" in page.content()
    assert page.input_value("input[name=first_name]") == "Ada"
    assert page.input_value("input[name=email]") == "ada(at)example"
    page.fill("input[name=email]", "ada@example.com")
    page.check("input[name=consent]")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=thanks]")
    person = Person.objects.get(email_normalized="ada@example.com")
    assert person.first_name == "Ada" and person.consent == "granted"
    touch = Touch.objects.get(person=person)
    assert (touch.utm_source, touch.utm_campaign) == ("ads", "autumn")
    assert page.outside == [] and page.problems == []


class _OtherOrigin:
    """A customer's web site: a static page on another origin that embeds the snippet."""

    def __init__(self, html: str):
        body = html.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def _snippet(page, world, lead_form):  # noqa: F811
    login(page, world.marketer.username)
    page.goto(f"/marketing/forms/{lead_form.pk}/")
    return page.locator("[data-testid=snippet]").inner_text()


@pytest.mark.parametrize("with_script", [True, False])
def test_embedded_snippet_posts_cross_origin(browser, page, world, lead_form, with_script):  # noqa: F811
    snippet = _snippet(page, world, lead_form)
    assert "data-tandem-form" in snippet and "tandem-embed.js" in snippet
    if not with_script:
        snippet = snippet.split("<script")[0]
    site = _OtherOrigin(f"<!doctype html><title>Customer</title><h1>Our product</h1>{snippet}")
    context = browser.new_context()
    visitor = context.new_page()
    visitor.set_default_timeout(15_000)
    errors = []
    visitor.on("console", lambda m: m.type == "error" and errors.append(m.text))
    allowed = {
        urlparse(site.url).netloc,
        urlparse(lead_form_url := lead_form_public(lead_form)).netloc,
    }
    strays = []
    visitor.on("request", lambda r: urlparse(r.url).netloc not in allowed and strays.append(r.url))
    try:
        visitor.goto(f"{site.url}/pricing?utm_source=partner&utm_medium=referral")
        visitor.fill("input[name=email]", "grace@example.com")
        visitor.fill("input[name=first_name]", "Grace")
        visitor.check("input[name=consent]")
        visitor.click("button[type=submit]")
        if with_script:
            visitor.wait_for_selector(".tandem-thanks")
            assert visitor.url.startswith(site.url)  # stayed on the customer's page
            assert lead_form.thank_you in visitor.inner_text(".tandem-thanks")
        else:
            visitor.wait_for_selector("[data-testid=thanks]")
            assert visitor.url.startswith(lead_form_url)
    finally:
        context.close()
        site.close()
    person = Person.objects.get(email_normalized="grace@example.com")
    touch = Touch.objects.get(person=person)
    assert touch.program == lead_form.program
    if with_script:
        assert (touch.utm_source, touch.utm_medium) == ("partner", "referral")
    assert errors == [] and strays == []


def lead_form_public(lead_form):
    from tandem.marketing.capture import public_url

    return public_url(lead_form)


def test_segment_builder_counts_live(page, world):  # noqa: F811
    for country in ("DE", "DE", "FR"):
        f.person(country=country)
    login(page, world.marketer.username)
    page.goto("/marketing/segments/new")
    page.select_option("#r-n1-field", "country")
    page.wait_for_selector("#r-n1-value")
    page.evaluate("document.querySelector('#qb-n1').dataset.old = '1'")
    page.select_option("#r-n1-op", "in")
    page.wait_for_selector("#qb-n1:not([data-old])")  # the row the server sent back for "is one of"
    page.fill("#r-n1-value", "DE")
    page.press("#r-n1-value", "Tab")
    page.wait_for_selector("[data-testid=segment-count]:text-is('2')")
    page.fill("#r-n1-value", "DE, FR")
    page.press("#r-n1-value", "Tab")
    page.wait_for_selector("[data-testid=segment-count]:text-is('3')")
    page.fill("#id_name", "Europe")
    page.click("button:has-text('Save segment')")
    page.wait_for_selector("[data-testid=segment-total]")
    assert page.inner_text("[data-testid=segment-total]") == "3"
    assert page.outside == [] and page.problems == []


def test_marketing_pages_render_clean_in_the_browser(page, world):  # noqa: F811
    segment = f.segment(world.marketer, [{"group": 1, "field": "country", "op": "in",
                                          "value": "DE"}], name="Germany")  # fmt: skip
    f.person(country="DE", consent="granted", first_name="Dora")
    campaign = f.campaign(world.program, segment, world.marketer, name="Autumn news")
    form = f.lead_form(world.program, world.marketer, name="Webinar signup")
    login(page, world.marketer.username)
    nav = page.locator("#sidebar nav").inner_text()
    assert all(link in nav for link in ("Forms", "Segments", "Campaigns")), nav
    for url, text in (
        ("/marketing/campaigns/", "Autumn news"),
        (f"/marketing/campaigns/{campaign.pk}/", "Hi Dora"),
        ("/marketing/forms/", "Webinar signup"),
        (f"/marketing/forms/{form.pk}/", "data-tandem-form"),
        ("/marketing/segments/", "Germany"),
        (f"/marketing/segments/{segment.pk}/", "Dora"),
        ("/marketing/suppressions/", "Suppression list"),
        ("/marketing/campaigns/new", "Merge fields"),
    ):
        page.goto(url)
        assert text in page.inner_text("main"), url
    assert page.outside == [] and page.problems == []


def test_pickers_find_an_organization_and_a_contact_by_typing(page, world):  # noqa: F811
    from playwright.sync_api import expect

    from tandem.sales.models import Opportunity

    f.organization(owner=world.owner, name="Owner Logistics")
    login(page, world.owner.username)
    page.goto("/sales/opportunities/new")
    page.fill("#id_name", "Picked by keyboard")
    page.click("#id_organization")
    page.keyboard.type("owner lo")
    page.wait_for_selector("#id_organization-list [role=option]:has-text('Owner Logistics')")
    page.keyboard.press("Enter")  # the first match is the active one
    assert page.input_value("#id_organization") == "Owner Logistics"
    page.click("#id_person")
    page.keyboard.type("oliv")
    page.click("#id_person-list [role=option]:has-text('Olive Owned')")
    page.click("#id_person")
    page.keyboard.press("End")
    page.keyboard.type(" typo")  # typed but not chosen: leaving keeps the chosen contact
    page.click("#id_amount")
    expect(page.locator("#id_person")).to_have_value("Olive Owned")
    page.fill("#id_amount", "900")
    page.fill("#id_expected_close", "2027-03-01")
    page.click("main button[type=submit]")
    page.wait_for_url("**/sales/opportunities/*/")
    deal = Opportunity.objects.get(name="Picked by keyboard")
    assert deal.organization.name == "Owner Logistics" and deal.person == world.person
    assert page.outside == [] and page.problems == []


def test_a_picker_creates_what_is_not_there_and_finds_owners(page, world):  # noqa: F811
    from playwright.sync_api import expect

    from tandem.contacts.models import Organization
    from tandem.sales.models import Opportunity

    login(page, world.sales_manager.username)
    page.goto("/sales/opportunities/new")
    page.fill("#id_name", "A new logo")
    page.click("#id_organization")
    page.keyboard.type("Brand New Co")
    page.click("#pick-organization-new")  # "Create “Brand New Co”"
    expect(page.locator("#id_organization")).to_have_value("Brand New Co")
    page.click("#id_owner")
    page.keyboard.type("owner")
    page.click(f"#pick-user-{world.owner.pk}")
    page.fill("#id_amount", "1200")
    page.fill("#id_expected_close", "2027-04-01")
    page.click("main button[type=submit]")
    page.wait_for_url("**/sales/opportunities/*/")
    deal = Opportunity.objects.get(name="A new logo")
    made = Organization.objects.get(name="Brand New Co")
    assert deal.organization == made and deal.owner == world.owner
    assert page.outside == [] and page.problems == []
