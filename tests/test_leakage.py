"""The leakage report: the MQLs of a period, followed through handoff, SQL and win, against an
independent count; the database's count (one statement on PostgreSQL, each lead's flags and
waits worked out by SQLite) and the lead-by-lead one agree."""

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from tandem.contacts.models import LifecycleTransition
from tandem.handoff.models import Handoff
from tests import factories as f


def test_leakage_report_matches_an_independent_count(world, as_user):
    from tandem.handoff import leakage
    from tandem.sales.models import Activity, Stage

    now = timezone.now()
    won = Stage.objects.get(name="Closed won", pipeline__is_default=True)
    other = f.program(name="Trade show")
    rng = __import__("random").Random(7)
    truth = []  # (program, rep, handed, accepted, late, sql, won, idle)
    for i in range(40):
        program = world.program if i % 3 else other
        person = f.person(source_program=program, lifecycle_stage="mql")
        mql_at = now - timedelta(days=rng.randint(5, 40))
        LifecycleTransition.objects.create(person=person, to_stage="mql", at=mql_at)
        if i % 8 == 0:  # an MQL again later in the period: the first one counts
            LifecycleTransition.objects.create(
                person=person, to_stage="mql", at=mql_at + timedelta(hours=2)
            )
        handed = rng.random() < 0.8
        rep = rng.choice([world.owner, world.teammate])
        accepted = late = sql = win = idle = False
        if handed:
            routed = mql_at + timedelta(hours=1)
            due = routed + timedelta(hours=24)
            r = rng.random()
            status = "accepted" if r < 0.6 else "rejected" if r < 0.8 else "pending"
            decided = routed + timedelta(hours=rng.choice([2, 30])) if status != "pending" else None
            Handoff.objects.create(person=person, rep=rep, routed_at=routed, due_at=due,
                                   status=status, decided_at=decided)  # fmt: skip
            accepted = status == "accepted"
            late = (decided or now) > due
            if accepted and rng.random() < 0.6:
                sql = True
                LifecycleTransition.objects.create(
                    person=person, to_stage="sql", at=decided + timedelta(days=1)
                )
                if rng.random() < 0.5:
                    win = True
                    f.opportunity(rep, person=person, stage=won, closed_at=decided + timedelta(3))
            if accepted and not win:
                recent = rng.random() < 0.5
                if recent:
                    Activity.objects.create(owner=rep, person=person, kind="call", subject="c",
                                            due_at=now)  # fmt: skip
                idle = not recent and now - decided > timedelta(days=7)
        truth.append((program.pk, rep.pk if handed else None, handed, accepted, late, sql, win,
                      idle))  # fmt: skip
    since, until = (now - timedelta(days=60)).date(), now.date()
    rows = {r.key: r for r in leakage.report(actor=world.admin, since=since, until=until, now=now)}
    for program in (world.program, other):
        mine = [t for t in truth if t[0] == program.pk]
        counts = rows[program.pk].counts()
        assert counts["mqls"] == len(mine)
        assert counts["handed"] == sum(t[2] for t in mine)
        assert counts["unassigned"] == sum(not t[2] for t in mine)
        assert counts["accepted"] == sum(t[3] for t in mine)
        assert counts["late"] == sum(t[4] for t in mine)
        assert counts["sql"] == sum(t[5] for t in mine)
        assert counts["won"] == sum(t[6] for t in mine)
        assert counts["idle"] == sum(t[7] for t in mine)
    rep_rows = leakage.report(actor=world.admin, since=since, until=until, by="rep", now=now)
    by_rep = {r.key: r.counts() for r in rep_rows}
    assert by_rep[world.owner.pk]["handed"] == sum(1 for t in truth if t[1] == world.owner.pk)
    assert by_rep["all"]["mqls"] == 40
    client = as_user(world.marketing_manager)
    page = client.get(f"/handoff/leakage/?since={since}&until={until}&key={other.pk}&step=won")
    html = page.content.decode()
    assert f'data-testid="n-{other.pk}-won">{rows[other.pk].counts()["won"]}<' in html
    assert html.count("/contacts/people/") >= rows[other.pk].counts()["won"]
    api = client.get(f"/api/leakage?since={since}&until={until}").json()
    assert api[-1]["counts"]["mqls"] == 40
    ids = client.get(f"/api/leakage/people?since={since}&until={until}&key=all&step=unassigned")
    assert len(ids.json()) == sum(not t[2] for t in truth)
    # The database's count must say what following each lead says, for every grouping, with
    # the waits, for readers who see everyone and readers who see some
    for reader in (world.admin, world.owner, world.marketer):
        for by in ("program", "rep", ""):  # anything but "program" groups by rep
            counted = leakage.report(actor=reader, since=since, until=until, by=by, now=now)
            followed = leakage.report_people(actor=reader, since=since, until=until, by=by,
                                             now=now)  # fmt: skip
            assert [(r.key, r.label, r.counts(), r.medians()) for r in counted] == [
                (r.key, r.label, r.counts(), r.medians()) for r in followed
            ]
    assert any(v is not None for v in rows[world.program.pk].medians().values())
    # The people behind every number, picked out by the database, are those following each
    # lead finds, for every group (the total, no rep) and step, and for readers who see some
    for reader in (world.admin, world.owner):
        for by in ("program", "rep"):
            followed = leakage.report_people(actor=reader, since=since, until=until, by=by,
                                             now=now)  # fmt: skip
            for row in followed:
                for step, people in row.people.items():
                    picked = leakage.drill(actor=reader, since=since, until=until, by=by,
                                           key=str(row.key), step=step, now=now)  # fmt: skip
                    assert list(picked.values_list("pk", flat=True)) == sorted(people), (
                        by, row.key, step)  # fmt: skip
    for key in ("12x", "²", "9" * 30, "-1", ""):  # no group: nobody, and no error
        for step in ("mqls", "won", "nope"):
            assert not leakage.drill(actor=world.admin, since=since, until=until, by="program",
                                     key=key, step=step, now=now).exists()  # fmt: skip
    api = client.get(f"/api/leakage/people?since={since}&until={until}&key={'9' * 30}&step=won")
    assert api.status_code == 200 and api.json() == []


def _paths() -> list[tuple]:
    from tandem.handoff.models import LeadPath

    return list(LeadPath.objects.order_by("pk").values_list())


def _recomputed() -> list[tuple]:
    """Every path computed afresh from the sources, by the statements the migrations keep."""
    from importlib import import_module

    from tandem.handoff.models import LeadPath

    with transaction.atomic():
        LeadPath.objects.all().delete()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT handoff_leadpath_refresh(ARRAY(SELECT id FROM contacts_person))"
                )
            else:
                sqlite = import_module("tandem.handoff.migrations.0006_leadpath_sqlite")
                for statement in sqlite.BACKFILL.split("; "):
                    cursor.execute(statement)
        return _paths()


def test_lead_paths_follow_every_write(world):
    """The triggers keep each MQL's path as a recomputation from the sources gives it, through
    handoffs, decisions, activities, wins, a stage's kind, a program change, a merge and a
    deleted transition; and the report read from the paths still counts what it should."""
    from tandem.contacts.models import Person
    from tandem.handoff import leakage
    from tandem.sales.models import Activity, Stage
    from tandem.transfer import merge

    now = timezone.now()
    won = Stage.objects.get(name="Closed won", pipeline__is_default=True)
    lead = f.person(source_program=world.program, lifecycle_stage="mql")
    other = f.person(source_program=world.program, lifecycle_stage="mql")
    mql = LifecycleTransition.objects.create(person=lead, to_stage="mql", at=now - timedelta(9))
    LifecycleTransition.objects.create(person=other, to_stage="mql", at=now - timedelta(8))
    assert [(p[1], p[4]) for p in _paths()] == [(lead.pk, None), (other.pk, None)]
    handoff = Handoff.objects.create(person=lead, rep=world.owner, routed_at=now - timedelta(8),
                                     due_at=now - timedelta(7))  # fmt: skip
    Handoff.objects.filter(pk=handoff.pk).update(status="accepted", decided_at=now - timedelta(7))
    call = Activity.objects.create(
        owner=world.owner, person=lead, kind="call", subject="c", due_at=now
    )
    LifecycleTransition.objects.create(person=lead, to_stage="sql", at=now - timedelta(6))
    deal = f.opportunity(world.owner, person=lead, stage=won, closed_at=now - timedelta(2))
    path = dict(zip(["transition", "person", "mql_at", "program", "handoff", "rep"], _paths()[0]))
    assert path["handoff"] == handoff.pk and path["rep"] == world.owner.pk
    row = _paths()[0]
    assert row[10] is True and row[11] and row[12] == deal.closed_at and row[13] == call.created_at

    Stage.objects.filter(pk=won.pk).update(kind="open")  # no longer a win
    assert _paths()[0][12] is None
    Stage.objects.filter(pk=won.pk).update(kind="won")
    call.delete()
    Person.objects.filter(pk=lead.pk).update(source_program=f.program(name="Webinar"))
    merge.merge(actor=world.admin, survivor=lead, other=other, take={})
    kept = _paths()
    assert _recomputed() == kept and len(kept) == 2 and {p[1] for p in kept} == {lead.pk}
    assert kept[0][13] is None and kept[0][3] == Person.objects.get(pk=lead.pk).source_program_id

    mql.delete()
    assert [p[0] for p in _paths()] == [kept[1][0]]
    since, until = (now - timedelta(30)).date(), now.date()
    counted = leakage.report(actor=world.admin, since=since, until=until, now=now)
    followed = leakage.report_people(actor=world.admin, since=since, until=until, now=now)
    assert [(r.key, r.counts(), r.medians()) for r in counted] == [
        (r.key, r.counts(), r.medians()) for r in followed
    ]
    assert counted[-1].counts()["mqls"] == 1
