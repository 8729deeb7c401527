"""The htmx pages: lists, partials, detail pages, forms, home panels, escaping."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tandem.contacts.models import Organization, Person
from tandem.core.models import TimelineEntry
from tests import factories as f


def test_people_list_paginates_sorts_and_filters(world, as_user):
    for i in range(60):
        f.person(last_name=f"Member{i:02d}", country="DE" if i % 2 else "FR")
    client = as_user(world.admin)
    html = client.get("/contacts/people/?sort=name&country=de").content.decode()
    assert "30 results" in html
    names = re.findall(r">Pat (Member\d\d)<", html)
    assert names == sorted(names) and len(names) == 30
    second = client.get("/contacts/people/?sort=name&page_size=50&page=2").content.decode()
    assert "page 2 of 2" in second


def test_htmx_request_gets_only_the_results_partial(world, as_user):
    client = as_user(world.admin)
    response = client.get("/contacts/people/?q=olive", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Olive" in html
    assert "<html" not in html and "people-table" in html


def test_bad_filter_shows_an_error_page_not_a_500(world, as_user):
    response = as_user(world.admin).get("/contacts/people/?stage=bogus")
    assert response.status_code == 400
    assert "stage: must be one of" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/contacts/people/",
        "/contacts/organizations/",
        "/sales/opportunities/",
        "/sales/activities/",
        "/marketing/programs/",
        "/handoff/",
    ],
)
def test_list_pages_use_a_fixed_number_of_queries(
    world, as_user, django_assert_max_num_queries, url
):
    for _ in range(30):
        org = f.organization(owner=world.owner)
        p = f.person(owner=world.owner, organization=org, source_program=world.program)
        opp = f.opportunity(world.owner, organization=org, person=p)
        f.activity(world.owner, opportunity=opp, person=p)
    client = as_user(world.owner)
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200


def test_user_text_is_escaped_everywhere(world, as_user):
    evil = '<script>alert("x")</script>'
    p = f.person(first_name=evil, organization=f.organization(name=evil))
    TimelineEntry.objects.create(verb="updated", target_type="person", target_id=p.pk, summary=evil)
    client = as_user(world.admin)
    for url in (
        f"/contacts/people/{p.pk}/",
        "/contacts/people/",
        "/search/?q=alert",
        f"/contacts/organizations/{p.organization_id}/",
    ):
        html = client.get(url).content.decode()
        assert evil not in html, url
        assert "&lt;script&gt;" in html, url


def test_person_page_shows_timeline_touches_and_deals(world, as_user):
    from tandem.marketing.services import touch_create

    touch_create(
        actor=world.marketer,
        data={
            "person": world.person,
            "program": world.program,
            "kind": "event_attended",
            "occurred_at": timezone.now(),
        },
    )
    html = as_user(world.owner).get(f"/contacts/people/{world.person.pk}/").content.decode()
    assert "Event attended: Marketer Webinar" in html  # the touch, on the timeline
    assert "Owner Deal" in html  # opportunities section
    assert 'data-kind="touch"' in html


def test_opportunity_page_shows_history_and_logs_activity(world, as_user):
    client = as_user(world.owner)
    response = client.post(
        f"/sales/opportunities/{world.opportunity.pk}/log",
        {
            "kind": "call",
            "subject": "Follow-up call",
            "due_at": "2026-12-01T10:00",
            "selling": "on",
        },
    )
    assert response.status_code == 302
    html = client.get(f"/sales/opportunities/{world.opportunity.pk}/").content.decode()
    assert "Follow-up call" in html and "Activity logged" in html
    assert 'data-testid="stage-history"' in html


def test_create_form_keeps_input_and_shows_errors(world, as_user):
    client = as_user(world.marketer)
    response = client.post("/contacts/people/new", {"email": "broken@", "first_name": "Keep Me"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "is not a valid email address" in html and 'value="Keep Me"' in html


def test_double_submit_creates_one_record(world, as_user):
    client = as_user(world.marketer)
    data = {"name": "Twice Inc", "idempotency_key": "abc123"}
    first = client.post("/contacts/organizations/new", data)
    second = client.post("/contacts/organizations/new", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Organization.objects.filter(name="Twice Inc").count() == 1


def test_home_pages_per_role(world, as_user):
    p = f.person(source_program=world.program, first_touch_at=timezone.now())
    assert p.pk
    f.activity(
        world.owner, subject="Call Olive today", due_at=timezone.now() - timedelta(minutes=5)
    )
    marketer_home = _home(as_user(world.marketer))
    assert "Leads by program this month" in marketer_home
    assert "Marketer Webinar" in marketer_home  # the chart's bar, linked to its leads
    assert f"program={world.program.pk}" in marketer_home
    rep_home = _home(as_user(world.owner))
    assert "Call Olive today" in rep_home and "overdue" in rep_home
    assert "Qualify" in rep_home and f"owner={world.owner.pk}" in rep_home
    manager_home = _home(as_user(world.sales_manager))
    assert "Open pipeline by stage · team East" in manager_home and "Qualify" in manager_home


def _home(client) -> str:
    """The home page as a browser shows it: with each lazy panel fetched by its placeholder."""
    html = client.get("/").content.decode()
    for url in re.findall(r'hx-get="(/home/panels/[a-z-]+)"', html):
        panel = client.get(url)
        assert panel.status_code == 200
        html = html.replace(f'hx-get="{url}"', panel.content.decode())
    return html


def test_lazy_home_panels_are_kept_per_reader_and_only_for_their_readers(
    world, as_user, django_assert_num_queries
):
    manager = as_user(world.sales_manager)
    home = manager.get("/").content.decode()
    assert 'hx-get="/home/panels/team"' in home and "Open pipeline by stage" not in home
    first = manager.get("/home/panels/team").content.decode()
    assert "Open pipeline by stage · team East" in first
    with django_assert_num_queries(2):  # the session and its user: the panel is kept
        assert manager.get("/home/panels/team").content.decode() == first
    assert as_user(world.owner).get("/home/panels/team").status_code == 404  # a rep's role
    assert as_user(world.owner).get("/home/panels/marketing").status_code == 404
    other = as_user(world.admin).get("/home/panels/team").content.decode()
    assert "Open pipeline by stage" in other and "team East" not in other  # its own figures


def test_search_finds_people_orgs_and_deals(world, as_user):
    html = as_user(world.owner).get("/search/?q=own").content.decode()
    assert "Owner Org" in html and "Owner Deal" in html and "Olive Owned" in html
    by_email = as_user(world.owner).get(f"/search/?q={world.person.email}").content.decode()
    assert "Olive Owned" in by_email


def test_stage_change_from_person_page(world, as_user):
    as_user(world.owner).post(
        f"/contacts/people/{world.person.pk}/stage", {"to_stage": "sal", "reason": "ok"}
    )
    assert Person.objects.get(pk=world.person.pk).lifecycle_stage == "sal"


def test_funnel_counts_transitions(world, as_user):
    from tandem.contacts.services import person_change_stage

    for stage in ("mql", "sal", "sql"):
        person_change_stage(actor=world.owner, person=world.person, to_stage=stage)
    html = as_user(world.marketing_manager).get("/insights/funnel/?mode=period").content.decode()
    assert re.search(r"Sales-qualified</td><td class=\"num\"><a [^>]*data-drill>1</a>", html)


def test_healthz(client, db):
    from django_tasks_db.models import DBTaskResult

    from tandem.core import tasks

    body = client.get("/healthz").json()
    assert body["ok"] and body["database"]["ok"] and body["cache"]["ok"]
    assert body["queue"]["ready"] == DBTaskResult.objects.ready().count()
    before = body["queue"]["ready"]
    tasks.trash_sweep.enqueue()
    assert client.get("/healthz").json()["queue"]["ready"] == before + 1
    assert "replica" not in body  # none configured


def test_livez_answers_with_one_query(client, db, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert client.get("/livez").json() == {"ok": True}


def test_healthz_fails_when_the_cache_does_not_answer(client, db, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.2}}}  # fmt: skip
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["cache"] == {"ok": False, "backend": "RedisCache",
                                        "error": "ConnectionError"}  # fmt: skip


def test_error_pages_are_in_the_product(world, as_user, rf):
    from django.views.defaults import server_error

    client = as_user(world.owner)
    missing = client.get("/contacts/people/999999999/")
    assert missing.status_code == 404 and "There is nothing here" in missing.content.decode()
    assert 'class="sidebar' in missing.content.decode()  # inside the shell, with the menu
    refused = client.get("/handoff/sla/")
    assert refused.status_code == 403 and "This is not yours to open" in refused.content.decode()
    broken = server_error(rf.get("/"))
    assert broken.status_code == 500 and b"Something broke on our side" in broken.content
    assert b"tandem.css" in broken.content  # styled without a request context


def test_the_style_guide_is_for_staff(world, as_user):
    assert as_user(world.owner).get("/styleguide/").status_code == 403
    assert as_user(world.marketer).get("/styleguide/drawer").status_code == 403
    page = as_user(world.admin).get("/styleguide/").content.decode()
    for section in ("colour", "buttons", "badges", "tiles", "tables", "forms", "feedback"):
        assert f'data-testid="sg-{section}"' in page
    assert "This field is required." in page  # inline validation shown
    drawer = as_user(world.admin).post("/styleguide/drawer", {"name": "x", "amount": "-1"})
    assert "Please correct" in drawer.content.decode()
