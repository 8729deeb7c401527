"""The rep's day, meeting invitations (.ics, and by email through a real SMTP server),
the activity mix, and the territory view."""

import json
from datetime import timedelta

from django.utils import timezone

from tandem.core.models import TimelineEntry
from tandem.marketing.services import touch_create
from tandem.sales.models import Territory
from tests import factories as f


def test_my_day_splits_overdue_today_and_upcoming(world, as_user):
    now = timezone.now()
    f.activity(world.owner, subject="Late call", due_at=now - timedelta(days=2))
    f.activity(world.owner, subject="Next week demo", due_at=now + timedelta(days=3))
    f.activity(world.owner, subject="Done already", due_at=now - timedelta(days=1), done_at=now)
    f.activity(world.teammate, subject="Not mine", due_at=now - timedelta(days=1))
    html = as_user(world.owner).get("/sales/my-day/").content.decode()
    overdue = html.split('data-testid="overdue"')[1].split("</section>")[0]
    upcoming = html.split('data-testid="upcoming"')[1].split("</section>")[0]
    assert "Late call" in overdue and "Next week demo" in upcoming
    assert "Done already" not in html and "Not mine" not in html
    assert as_user(world.marketer).get("/sales/my-day/").status_code == 403


def test_my_day_shows_the_first_of_a_long_list_with_the_whole_count(world, as_user):
    from tandem.sales.selectors import MY_DAY_SHOWN

    now = timezone.now()
    for n in range(MY_DAY_SHOWN + 5):
        f.activity(world.owner, subject=f"Late {n:02d}", due_at=now - timedelta(days=40 - n))
    html = as_user(world.owner).get("/sales/my-day/").content.decode()
    overdue = html.split('data-testid="overdue"')[1].split("</section>")[0]
    assert overdue.count('data-testid="task"') == MY_DAY_SHOWN  # the oldest first
    assert "Late 00" in overdue and f"Late {MY_DAY_SHOWN:02d}" not in overdue
    assert f">{MY_DAY_SHOWN + 5}<" in overdue and f"See all {MY_DAY_SHOWN + 5}" in overdue
    link = f"/sales/activities/?owner={world.owner.pk}&amp;done=no&amp;sort=due"
    assert link in overdue
    listed = as_user(world.owner).get(link.replace("&amp;", "&")).content.decode()
    assert f"Late {MY_DAY_SHOWN + 4:02d}" in listed


def test_ics_invitation_is_valid_and_escaped(world, as_user):
    meeting = f.activity(
        world.owner,
        kind="meeting",
        subject="Pricing; terms, and a very long subject " + "x" * 80,
        notes="Line one\nLine two",
        person=world.person,
        due_at=timezone.now() + timedelta(days=1),
    )
    response = as_user(world.owner).get(f"/sales/activities/{meeting.pk}/invite.ics")
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:Pricing\\; terms\\, and a very long subject" in unfolded
    assert "DESCRIPTION:Line one\\nLine two" in unfolded
    assert f"ATTENDEE;RSVP=TRUE:mailto:{world.person.email}" in unfolded
    assert (
        as_user(world.outsider).get(f"/sales/activities/{meeting.pk}/invite.ics").status_code == 404
    )
    call = f.activity(world.owner, kind="call")
    assert as_user(world.owner).get(f"/sales/activities/{call.pk}/invite.ics").status_code == 404


def test_invitation_by_email_through_smtp(world, as_user, smtp):
    meeting = f.activity(world.owner, kind="meeting", subject="Kick-off", due_at=timezone.now())
    response = as_user(world.owner).post(
        f"/sales/activities/{meeting.pk}/invite", {"email": "buyer@client.test"}
    )
    assert response.status_code == 302
    assert len(smtp.messages) == 1
    envelope = smtp.messages[0]
    assert envelope.rcpt_tos == ["buyer@client.test"]
    raw = envelope.content.decode()
    assert (
        "Subject: Invitation: Kick-off" in raw and "text/calendar" in raw and "BEGIN:VEVENT" in raw
    )
    assert TimelineEntry.objects.filter(verb="invitation_sent", target_id=meeting.pk).exists()
    bad = as_user(world.owner).post(
        f"/sales/activities/{meeting.pk}/invite", {"email": "not-an-email"}
    )
    assert bad.status_code == 302 and len(smtp.messages) == 1
    denied = as_user(world.teammate).post(
        f"/sales/activities/{meeting.pk}/invite", {"email": "x@y.test"}
    )
    assert denied.status_code == 403 and len(smtp.messages) == 1


def test_activity_mix_counts_out_of_position_work(world, as_user):
    now = timezone.now()
    for _ in range(3):
        f.activity(world.owner, due_at=now - timedelta(days=1))
    f.activity(world.owner, due_at=now - timedelta(days=1), selling=False, kind="task")
    # until tomorrow: the fixture's call, due in two hours, may fall after midnight
    until = (timezone.localdate() + timedelta(days=1)).isoformat()
    html = as_user(world.sales_manager).get(f"/sales/activity-mix/?until={until}").content.decode()
    row = html.split('data-testid="activity-mix"')[1]
    # The fixture's own call is due in two hours: 4 selling (3 + 1), 1 out of position.
    assert 'data-label="Selling">4</td>' in row and 'data-label="Out of position">1</td>' in row
    assert 'class="gauge-cell">20%<' in row


def test_territory_view_lists_accounts_with_last_touch(world, as_user):
    Territory.objects.create(name="Germany", countries=["DE"])
    german = f.organization(owner=world.owner, name="Berlin GmbH", country="DE")
    f.organization(owner=world.owner, name="Paris SA", country="FR")
    buyer = f.person(owner=world.owner, organization=german)
    touch_create(
        actor=world.owner,
        data={"person": buyer, "kind": "call", "occurred_at": timezone.now() - timedelta(days=3)},
    )
    html = as_user(world.owner).get("/sales/territories/").content.decode()
    table = html.split('data-testid="territory-accounts"')[1]
    assert "Berlin GmbH" in table and "Paris SA" not in table
    assert (timezone.now() - timedelta(days=3)).strftime("%Y-%m-%d") in table
    assert "Berlin GmbH" not in as_user(world.outsider).get("/sales/territories/").content.decode()


def test_one_click_logging_from_the_opportunity_page(world, as_user):
    client = as_user(world.owner)
    response = client.post(f"/sales/opportunities/{world.opportunity.pk}/log", {"quick": "call"})
    assert response.status_code == 302
    act = world.opportunity.activities.get(subject="Call held")
    assert (act.kind, act.owner, act.done_at is not None) == ("call", world.owner, True)
    html = client.get(f"/sales/opportunities/{world.opportunity.pk}/").content.decode()
    assert "Call done: Call held" in html and 'data-testid="qa-call"' in html
    denied = as_user(world.teammate).post(
        f"/sales/opportunities/{world.opportunity.pk}/log", {"quick": "call"}
    )
    assert (
        denied.status_code == 403
        and world.opportunity.activities.filter(subject="Call held").count() == 1
    )


def test_done_in_place_and_next_stays_on_this_site(world, as_user):
    client = as_user(world.owner)
    act = world.activity
    done = client.post(f"/sales/activities/{act.pk}/done", HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and "is-done" in done.content.decode()
    assert json.loads(done["HX-Trigger"])["tandem:toast"]["value"] == f"Done: {act.subject}"
    act.refresh_from_db()
    assert act.done_at is not None
    other = f.activity(world.owner, opportunity=world.opportunity, subject="Again")
    for evil in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(f"/sales/activities/{other.pk}/done", {"next": evil})
        assert response["Location"] == f"/sales/activities/{other.pk}/"
    response = client.post(f"/sales/activities/{other.pk}/done", {"next": "/sales/my-day/"})
    assert response["Location"] == "/sales/my-day/"
    bulk = client.post("/contacts/people/bulk", {"action": "x", "next": "https://evil.example/"})
    assert bulk["Location"] == "/contacts/people/"
