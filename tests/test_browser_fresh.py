"""A fresh install, walked in Chromium from `createsuperuser` to a first won deal without ever
opening the Django admin: a pipeline stage, a colleague invited, a program and its form, a people
file with the dates each lead reached its stage, a deal with its contact, won."""

import shutil

import pytest
from django.core.management import call_command

from tandem.accounts.models import User
from tandem.contacts.models import LifecycleTransition, Person
from tandem.marketing.models import LeadForm, Program
from tandem.sales import defaults
from tandem.sales.models import LossReason, Objection, Opportunity, Pipeline, Stage
from tandem.transfer.models import ImportJob
from tests.test_browser import CHROMIUM, browser, page  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]
PEOPLE = (
    "Email,First Name,Last Name,Company Name,Create Date,"
    "Became a Marketing Qualified Lead Date,Became a Sales Qualified Lead Date\n"
    "lena@acme.example,Lena,Berg,Acme,2024-02-01,2024-02-11,2024-02-20\n"
    "omar@acme.example,Omar,Said,Acme,2024-03-04,2024-03-05,\n"
)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_a_fresh_install_to_a_first_won_deal_in_the_app(page, monkeypatch, smtp, tmp_path,  # noqa: F811
                                                          settings):  # fmt: skip
    settings.TANDEM_IMPORT_DIR = tmp_path / "imports"
    defaults.create(Pipeline, Stage, LossReason, Objection)  # what `migrate` leaves
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-first-password")
    call_command("createsuperuser", interactive=False, username="boss", email="boss@example.com",
                 verbosity=0)  # fmt: skip
    admin_pages = []
    page.on("request", lambda r: "/admin/" in r.url and admin_pages.append(r.url))

    page.goto("/accounts/login/")
    page.fill("#id_login", "boss")
    page.fill("#id_password", "a-long-first-password")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=setup-checklist]")
    page.click("[data-testid=me-button]")
    assert "Admin" in page.inner_text(".popover .who")  # createsuperuser makes an admin
    page.keyboard.press("Escape")

    # a stage of the selling process, in words and percent
    page.goto("/settings/pipelines/")
    pipeline = Pipeline.objects.get(is_default=True)
    page.fill(f"#ns-{pipeline.pk}", "Proposal sent")
    page.fill(f"#np-{pipeline.pk}", "60")
    page.click("button:has-text('Add the stage')")
    page.wait_for_selector("input[value='Proposal sent']")

    # a colleague, by invitation
    page.goto("/settings/users/")
    page.fill("#id_email", "sam@example.com")
    page.fill("#id_first_name", "Sam")
    page.select_option("#id_role", "sales_rep")
    page.click("button:has-text('Send the invitation')")
    page.wait_for_selector("[data-testid=users] >> text=sam@example.com")
    assert any("sam@example.com" in m["To"] for m in smtp.parsed())

    # a program, and a form that credits it
    page.goto("/marketing/programs/new")
    page.fill("#id_name", "Website")
    page.select_option("#id_channel", "web")
    page.fill("#id_start_date", "2024-01-01")
    page.click("main button[type=submit]")
    page.wait_for_url("**/marketing/programs/*/")
    page.goto("/marketing/forms/new")
    page.fill("#id_name", "Contact us")
    page.click("#id_program")
    page.keyboard.type("website")
    page.click(f"#pick-program-{Program.objects.get(name='Website').pk}")
    page.click("main button[type=submit]")
    page.wait_for_url("**/marketing/forms/*/")
    assert LeadForm.objects.get(name="Contact us").program.name == "Website"

    # the team's leads, with the dates they reached each stage
    upload = tmp_path / "leads.csv"
    upload.write_text(PEOPLE)
    page.goto("/transfer/imports/")
    page.select_option("#import-kind", "people")
    page.set_input_files("#import-file", str(upload))
    page.click("button:has-text('Upload and preview')")
    page.wait_for_url("**/transfer/imports/*/")
    run_worker()  # reads the file
    page.reload()
    page.wait_for_selector("[data-testid=mapping]")
    assert page.locator("[data-testid=time-warning]").count() == 0
    page.click("button:has-text('Start the import')")
    run_worker()
    page.reload()
    page.wait_for_selector("[data-testid=job-status]:has-text('Done')")
    assert ImportJob.objects.get().created == 2
    lena = Person.objects.get(email_normalized="lena@acme.example")
    reached = dict(
        LifecycleTransition.objects.filter(person=lena).values_list("to_stage", "at__date")
    )
    assert str(reached["mql"]) == "2024-02-11" and str(reached["sql"]) == "2024-02-20"

    # a deal with its contact, then won
    page.goto(f"/contacts/people/{lena.pk}/")
    page.click("text=New deal")
    page.wait_for_url("**/sales/opportunities/new*")
    page.fill("#id_name", "Acme pilot")
    page.fill("#id_amount", "12000")
    page.fill("#id_expected_close", "2027-03-31")
    page.click("main button[type=submit]")
    page.wait_for_url("**/sales/opportunities/*/")
    deal = Opportunity.objects.get(name="Acme pilot")
    assert deal.person == lena and deal.organization.name == "Acme"
    page.select_option("#move-stage", str(Stage.objects.get(name="Closed won").pk))
    page.click("[data-testid=move-form] button[type=submit]")
    page.wait_for_selector("[data-testid=stage] >> text=Closed won")
    deal.refresh_from_db()
    assert deal.stage.kind == "won" and deal.owner == User.objects.get(username="boss")
    assert admin_pages == [] and page.outside == [] and page.problems == []
