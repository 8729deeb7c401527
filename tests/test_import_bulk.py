"""The people import's bulk path: reserved ids, merges, unchanged rows, indexed look-ups (the
engine's bad-input, resume, cancel and undo tests: test_import.py)."""

import threading

import pytest

from tandem.contacts.models import LifecycleTransition, Person
from tandem.transfer import engine
from tandem.transfer import people as people_import
from tests import factories as f
from tests.test_import import _job, _run


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.TANDEM_IMPORT_DIR = tmp_path / "imports"


def test_people_written_in_bulk_keep_ids_trail_and_merges(world):
    """The bulk path: reserved ids stay clear of later inserts, an update merges custom fields
    and only fills a missing organization, and the trail records each person."""
    org = f.organization(name="Kept Org")
    known = f.person(email="merge@example.com", first_name="Old", organization=org,
                     custom={"keep": "yes", "tier": "1"})  # fmt: skip
    content = (
        "email,first_name,company,tier,City\n"
        "merge@example.com,Ümit,Other Org,2,\n"
        "new1@example.com,Ада,New Org,3,Kyiv\n"
        ",Nameonly,,,\n"
    )
    job = _job(world, content.encode(), mapping={"0": "email", "1": "first_name",
                                                 "2": "organization", "3": "custom",
                                                 "4": "city"})  # fmt: skip
    job = engine.run(job.pk)
    assert (job.created, job.updated, job.failed) == (2, 1, 0)
    known.refresh_from_db()
    assert known.first_name == "Ümit" and known.organization_id == org.pk
    assert known.custom == {"keep": "yes", "tier": "2"}
    assert known.search_text.startswith("ümit ")
    new = Person.objects.get(email_normalized="new1@example.com")
    assert (new.first_name, new.city, new.custom) == ("Ада", "Kyiv", {"tier": "3"})
    assert new.organization.name == "New Org" and new.search_text == "ада  new1@example.com"
    assert new.lifecycle_stage == "lead" and new.consent == "unknown" and new.score == 0
    created_ids = set(job.rows.filter(action="created").values_list("object_id", flat=True))
    assert created_ids == {new.pk, Person.objects.get(first_name="Nameonly").pk}
    assert set(
        LifecycleTransition.objects.filter(reason=f"import {job.pk}").values_list(
            "person_id", "to_stage"
        )
    ) == {(pk, "lead") for pk in created_ids}
    later = f.person(email="after@example.com")  # the ids the import took are not handed out again
    assert later.pk > max(created_ids)
    engine.job_undo(actor=world.marketer, job=job)
    assert engine.undo(job.pk) == 2
    assert Person.objects.filter(pk=known.pk).exists()


def test_reimporting_an_unchanged_row_writes_nothing(world):
    from tandem.core.models import TimelineEntry

    content = b"email,first_name,last_name\nsame@example.com,Sam,Same\n"
    _run(world, content)
    person = Person.objects.get(email_normalized="same@example.com")
    again = _run(world, content)
    assert again.updated == 1
    assert again.rows.get().message == "matched by email; nothing to change"
    assert not TimelineEntry.objects.filter(summary=f"import {again.pk}").exists()
    changed = _run(world, b"email,first_name,last_name\nsame@example.com,Samuel,Same\n")
    assert Person.objects.get(pk=person.pk).first_name == "Samuel"
    assert TimelineEntry.objects.filter(summary=f"import {changed.pk}", verb="updated").exists()


def test_reimporting_custom_fields_as_stored_changes_nothing(world):
    """Stored custom fields come back as JSON text and are decoded only for a row that brings
    custom fields: the same values change nothing, a new one merges with the stored ones."""
    header = "email,first_name,tier,region_code\n"
    mapping = {"0": "email", "1": "first_name", "2": "custom", "3": "custom"}
    first = _job(world, (header + "cf@example.com,Cy,gold,N\n").encode(), mapping=mapping)
    engine.run(first.pk)
    person = Person.objects.get(email_normalized="cf@example.com")
    assert person.custom == {"tier": "gold", "regioncode": "N"}
    same = engine.run(_job(world, (header + "cf@example.com,Cy,gold,N\n").encode(),
                           mapping=mapping).pk)  # fmt: skip
    assert same.rows.get().message == "matched by email; nothing to change"
    plain = engine.run(_job(world, b"email,first_name\ncf@example.com,Cyril\n").pk)
    assert plain.updated == 1 and plain.rows.get().message == "matched by email"
    person.refresh_from_db()
    assert (person.first_name, person.custom) == ("Cyril", {"tier": "gold", "regioncode": "N"})
    engine.run(_job(world, (header + "cf@example.com,,platinum,\n").encode(), mapping=mapping).pk)
    person.refresh_from_db()
    assert (person.first_name, person.custom) == (
        "Cyril", {"tier": "platinum", "regioncode": "N"})  # fmt: skip


def test_select_in_returns_raw_rows_of_the_values_given(db):
    """The import's look-up by email: the stored rows whose column is among the values, JSON
    as the database's text, nothing for values not stored or an empty list."""
    import json

    from tandem.core import bulk

    a = f.person(email="sel-a@example.com", custom={"k": "v"})
    f.person(email="sel-b@example.com")
    wanted = ["sel-a@example.com", "nobody@example.com", "it's@example.com"]
    rows = bulk.select_in(Person, ["email_normalized", "id", "custom"], "email_normalized", wanted)
    assert [(r[0], r[1]) for r in rows] == [("sel-a@example.com", a.pk)]
    assert isinstance(rows[0][2], str) and json.loads(rows[0][2]) == {"k": "v"}
    assert bulk.select_in(Person, ["id"], "email_normalized", []) == []


def test_insert_of_ready_rows_takes_values_as_prepared(db):
    """ready=True: values made by prepared() (a moment, a JSON object) go in unconverted and
    read back as what they were."""
    from django.utils import timezone

    from tandem.core import bulk
    from tandem.core.models import TimelineEntry

    now = timezone.now().replace(microsecond=0)
    row = (bulk.prepared(now), None, "import", "created", "person", 7, "ready test",
           bulk.prepared({"a": [1, "ü"]}))  # fmt: skip
    columns = ["at", "actor_id", "via", "verb", "target_type", "target_id", "summary", "changes"]
    assert bulk.insert(TimelineEntry, columns, [row], ready=True) == 1
    entry = TimelineEntry.objects.get(summary="ready test")
    assert (entry.at, entry.changes, entry.target_id) == (now, {"a": [1, "ü"]}, 7)


def test_the_cycle_collector_is_paused_during_an_import_and_back_after(world, monkeypatch):
    """The collector is off while the batches run (each batch's rows would otherwise push
    full collections), on again afterwards, also when a batch fails, and left off if it was."""
    import gc

    seen = []
    original = people_import.batch

    def watching(job, pending):
        seen.append(gc.isenabled())
        return original(job, pending)

    monkeypatch.setattr(people_import, "batch", watching)
    _run(world, b"email\ngc1@example.com\n")
    assert seen == [False] and gc.isenabled()

    def failing(job, pending):
        raise RuntimeError("disk full")

    monkeypatch.setattr(people_import, "batch", failing)
    with pytest.raises(RuntimeError):
        _run(world, b"email\ngc2@example.com\n")
    assert gc.isenabled()
    from tandem.core import bulk

    gc.disable()
    try:
        with bulk.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_looking_people_up_by_email_uses_an_index_on_sqlite(db):
    """SQLite cannot use the partial unique index for `email_normalized IN (…)`: without the
    plain index every import batch and form post scanned the whole people table."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL answers these from person_email_pattern")
    query = Person.objects.filter(email_normalized__in=["a@example.com", "b@example.com"])
    text, params = query.values_list("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + text, params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "USING" in plan and "INDEX" in plan, plan
    with connection.cursor() as cursor:  # the import's own look-up (bulk.select_in)
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM contacts_person WHERE email_normalized IN "
            "(SELECT value FROM json_each(%s))",
            ['["a@example.com"]'],
        )
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "SEARCH contacts_person USING" in plan and "INDEX" in plan, plan


def test_long_writes_on_sqlite_leave_checkpoints_to_a_helper_thread(django_db_blocker, tmp_path):
    """During an import the writer does not checkpoint SQLite's log after each commit: a
    helper thread copies it into the database file on its own connection. Afterwards the
    writer's setting is back and every row is there. (The test database itself lives in
    memory, so this one uses a file of its own.)"""
    from django.db import connections

    from config.settings import database_settings

    alias, conf = "walfile", database_settings(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    connections.settings[alias] = connections.configure_settings({"default": conf, alias: conf})[
        alias
    ]
    writer = connections[alias]
    with django_db_blocker.unblock():
        _write_through_a_long_write(alias, writer)


def _write_through_a_long_write(alias, writer) -> None:
    from django.db import connections, transaction

    from tandem.core import bulk

    try:
        with writer.cursor() as cursor:
            cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        with bulk.long_write(alias) as log:
            with writer.cursor() as cursor:
                cursor.execute("PRAGMA wal_autocheckpoint")
                assert cursor.fetchone()[0] == 0
            for _ in range(3):
                with transaction.atomic(using=alias), writer.cursor() as cursor:
                    cursor.executemany("INSERT INTO t (v) VALUES (%s)", [("x" * 500,)] * 400)
                log.committed()
        assert log.checkpoints > 0
        with writer.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            assert cursor.fetchone()[0] == 1000
            cursor.execute("SELECT count(*) FROM t")
            assert cursor.fetchone()[0] == 1200
    finally:
        writer.close()
        del connections.settings[alias]


def test_long_writes_elsewhere_change_nothing(db):
    """On PostgreSQL, and inside a transaction, there is no helper."""
    from tandem.core import bulk

    with bulk.long_write() as log:
        log.committed()
    names = [thread.name for thread in threading.enumerate()]
    assert log.checkpoints == 0 and "sqlite-checkpoint" not in names


def test_a_value_prepared_once_is_stored_as_the_value_itself(world):
    """bulk.prepared converts a batch's shared moment and empty JSON object once; what is
    stored is the same moment (to the microsecond, in any zone) and the same object."""
    from datetime import datetime, timedelta, timezone

    from tandem.core import bulk
    from tandem.core.models import TimelineEntry

    moment = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=timezone(timedelta(hours=5)))
    row = (bulk.prepared(moment), None, "import", "noted", "person", 7, "s", bulk.prepared({}))
    bulk.insert(TimelineEntry, ["at", "actor_id", "via", "verb", "target_type", "target_id",
                                "summary", "changes"], [row])  # fmt: skip
    stored = TimelineEntry.objects.get(target_id=7, verb="noted")
    assert stored.at == moment and stored.changes == {}
