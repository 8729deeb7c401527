"""Retention: leads untouched for the workspace's months are erased by a daily task, after a dry
run shows how many; sales' people and customers are never taken."""

from datetime import timedelta

from django.utils import timezone

from tandem.contacts.models import Person
from tandem.core import workspace
from tandem.core.models import TimelineEntry
from tandem.marketing import retention
from tandem.marketing.models import Touch
from tests import factories as f


def _aged(months: int, **kw):
    then = timezone.now() - timedelta(days=30 * months)
    person = f.person(**kw)
    Person.objects.filter(pk=person.pk).update(
        created_at=then, updated_at=then, stage_changed_at=then
    )
    Touch.objects.create(person=person, kind="page_visited", occurred_at=then)
    return person


def test_the_rule_takes_only_old_untouched_leads(world, as_user):
    old = _aged(30, email="old@example.com", lifecycle_stage="lead")
    touched = _aged(30, email="touched@example.com", lifecycle_stage="lead")
    Touch.objects.create(person=touched, kind="email_opened", occurred_at=timezone.now())
    customer = _aged(30, email="customer@example.com", lifecycle_stage="customer")
    young = _aged(6, email="young@example.com", lifecycle_stage="lead")
    # back to lead last month, though nothing else on the record changed since
    restaged = _aged(30, email="restaged@example.com", lifecycle_stage="lead")
    Person.objects.filter(pk=restaged.pk).update(stage_changed_at=timezone.now())
    client = as_user(world.marketing_manager)
    page = client.get("/settings/retention/?months=24").content.decode()
    assert 'data-testid="would"' in page and "<strong>1</strong>" in page
    assert Person.objects.get(pk=old.pk).email_normalized == "old@example.com"  # a dry run
    client.post("/settings/retention/", {"months": "24"})
    assert workspace.get().retention_months == 24
    assert retention.run() == 1
    assert Person.objects.get(pk=old.pk).email_normalized == ""
    for kept in (touched, customer, young, restaged):
        assert Person.objects.get(pk=kept.pk).email_normalized
    entry = TimelineEntry.objects.get(target_type="person", target_id=old.pk, verb="erased")
    assert entry.actor is None and "retention" in entry.summary
    assert retention.run() == 0  # nothing left to take
    assert as_user(world.marketer).get("/settings/retention/").status_code == 403
