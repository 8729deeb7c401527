"""Imports keep time: time columns are recognised by name and read in the order the file writes
its dates (told by its values, or asked); a file without one is warned about; people files carry
the date each lifecycle stage was reached, and the reports and attribution read those dates."""

import statistics
import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tandem.contacts.models import LifecycleTransition, Person
from tandem.core.errors import Invalid
from tandem.insights import attribution_report, funnel
from tandem.marketing.models import Touch
from tandem.sales.models import Opportunity
from tandem.transfer import column_map, engine
from tandem.transfer.models import ImportJob, JobStatus
from tests import factories as f


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.TANDEM_IMPORT_DIR = tmp_path / "imports"


def _upload(actor, kind: str, text: str) -> ImportJob:
    upload = SimpleUploadedFile("file.csv", text.encode())
    return f.uploaded(actor=actor, kind=kind, upload=upload, filename="file.csv")


def _run(actor, job: ImportJob, **options) -> ImportJob:
    engine.job_configure(
        actor=actor, job=job, mapping=job.mapping, policy="update", options=options,
        program=options.pop("program", None),
    )  # fmt: skip
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    return engine.run(job.pk)


def test_a_touch_file_with_a_time_column_keeps_its_times(world, as_user):
    world.marketer.time_zone = "Europe/Berlin"
    world.marketer.save()
    job = _upload(
        world.marketer, "touches",
        "email,time,kind,note\n"
        "ada@example.com,2019-05-04T10:30:00Z,page_visited,/pricing\n"
        "ada@example.com,2019-05-06 08:00,page_visited,/docs\n",
    )  # fmt: skip
    assert job.mapping["1"] == "occurred_at" and "3" not in job.mapping
    page = as_user(world.marketer).get(job.get_absolute_url()).content.decode()
    assert 'data-testid="time-warning"' not in page
    assert page.count('data-testid="unmapped">ignored') == 1  # "note", shown as ignored
    job = _run(world.marketer, job, program=world.program)
    assert (job.created, job.failed) == (2, 0), list(job.rows.values_list("message", flat=True))
    times = sorted(Touch.objects.values_list("occurred_at", flat=True))
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    assert times == [datetime(2019, 5, 4, 10, 30, tzinfo=UTC),
                     datetime(2019, 5, 6, 8, 0, tzinfo=berlin)]  # fmt: skip
    ada = Person.objects.get(email_normalized="ada@example.com")
    assert ada.first_touch_at == times[0]


def test_a_file_without_a_time_column_is_warned_about(world, as_user):
    job = _upload(world.marketer, "touches", "email,kind\nbo@example.com,page_visited\n")
    assert column_map.time_warning("touches", job.mapping).startswith("No column says when")
    page = as_user(world.marketer).get(job.get_absolute_url()).content.decode()
    assert 'data-testid="time-warning"' in page and "every touch will be dated" in page
    api = as_user(world.marketer).get(f"/api/imports/{job.pk}").json()
    assert "every touch will be dated" in api["time_warning"]


def test_the_values_tell_day_first_from_month_first(world):
    day_first = _upload(
        world.marketer,
        "touches",
        "email,date\na@example.com,03/04/2020\nb@example.com,25/04/2020\n",
    )
    assert day_first.notes["date_orders"]["1"] == "dmy"  # 25 can only be a day
    job = _run(world.marketer, day_first, program=world.program)
    assert job.failed == 0
    moments = dict(Touch.objects.values_list("person__email_normalized", "occurred_at"))
    assert moments["a@example.com"].date() == date(2020, 4, 3)
    month_first = _upload(
        world.marketer,
        "touches",
        "email,date\nc@example.com,03/04/2020\nd@example.com,04/25/2020\n",
    )
    assert month_first.notes["date_orders"]["1"] == "mdy"


def test_an_ambiguous_file_asks_and_a_mixed_one_reports_rows(world, as_user):
    job = _upload(
        world.marketer,
        "touches",
        "email,visited\na@example.com,03/04/2020\nb@example.com,05/06/2020\n",
    )
    assert job.notes["date_orders"]["1"] == "ambiguous"
    with pytest.raises(Invalid, match="day first or month first"):
        engine.job_configure(actor=world.marketer, job=job, mapping=job.mapping,
                             policy="update", program=world.program)  # fmt: skip
    page = as_user(world.marketer).get(job.get_absolute_url()).content.decode()
    assert 'data-testid="date-order-1"' in page
    job = _run(world.marketer, job, program=world.program, dates={"1": "mdy"})
    assert job.failed == 0
    assert Touch.objects.get(person__email_normalized="a@example.com").occurred_at.month == 3
    mixed = _upload(
        world.marketer,
        "touches",
        "email,when\nc@example.com,25/04/2020\nd@example.com,04/26/2020\n",
    )
    assert mixed.notes["date_orders"]["1"] == "mixed"
    mixed = _run(world.marketer, mixed, program=world.program, dates={"1": "dmy"})
    assert (mixed.created, mixed.failed) == (1, 1)
    assert "not a day-first date" in mixed.rows.get(action="failed").message


STAGE_FILE = (
    "Email,Create Date,became_mql_at,Became a Sales Qualified Lead Date,Lifecycle Stage\n"
    "p1@example.com,2024-01-01,2024-01-11,2024-01-31,\n"
    "p2@example.com,2024-01-05,2024-01-08,,\n"
    "p3@example.com,,2024-01-02T09:00:00Z,2024-01-22T09:00:00Z,\n"
    "p4@example.com,2024-01-03,,,customer\n"
)


def test_people_keep_the_dates_they_reached_each_stage(world):
    job = _upload(world.admin, "people", STAGE_FILE)
    assert {job.mapping[str(i)] for i in range(1, 4)} == {
        "created_at", "became_mql_at", "became_sql_at"}  # fmt: skip
    job = _run(world.admin, job)
    assert (job.created, job.failed) == (4, 0)
    utc = lambda *a: datetime(*a, tzinfo=UTC)  # noqa: E731 - the workspace's zone in tests

    def steps(email):
        return list(
            LifecycleTransition.objects.filter(person__email_normalized=email)
            .order_by("at", "pk").values_list("from_stage", "to_stage", "at")
        )  # fmt: skip

    zone = zoneinfo.ZoneInfo(world.admin.time_zone or "UTC")
    local = lambda *a: datetime(*a, tzinfo=zone)  # noqa: E731
    assert steps("p1@example.com") == [("", "lead", local(2024, 1, 1)),
                                       ("lead", "mql", local(2024, 1, 11)),
                                       ("mql", "sql", local(2024, 1, 31))]  # fmt: skip
    p3 = Person.objects.get(email_normalized="p3@example.com")
    assert p3.lifecycle_stage == "sql" and p3.created_at == utc(2024, 1, 2, 9)
    assert p3.stage_changed_at == utc(2024, 1, 22, 9)
    p4 = steps("p4@example.com")
    assert p4 == [("", "customer", local(2024, 1, 3))]  # no stage date: the stage it came with
    # the funnel's time between stages equals the hand computation from the file: a stage is
    # reached at the earliest date of it or any later stage (DOMAIN.md, the funnel's docstring)
    dated = {  # the file's dates, as days into January: lead, mql, sql, customer
        "p1": {0: 1, 1: 11, 3: 31}, "p2": {0: 5, 1: 8}, "p3": {0: 2, 1: 2, 3: 22},
        "p4": {0: 3, 5: 3},
    }  # fmt: skip
    report = funnel.figures(world.admin, funnel.Params(date(2023, 12, 1), date(2024, 2, 28),
                                                       mode="period"))["all"]  # fmt: skip
    for k in range(1, 6):
        gaps = []
        for days in dated.values():
            reached = lambda k: min((d for s, d in days.items() if s >= k), default=None)  # noqa: B023, E731
            if reached(k) is not None:
                gaps.append(reached(k) - reached(k - 1))
        assert report[k][0] == len(gaps), k
        if gaps:
            assert report[k][1] == pytest.approx(statistics.median(gaps), abs=0.05), k


def test_a_marketer_may_not_import_sales_stages_by_date(world):
    job = _run(world.marketer, _upload(world.marketer, "people", STAGE_FILE))
    failed = dict(job.rows.filter(action="failed").values_list("number", "message"))
    assert set(failed) == {2, 4, 5} and "sales decides" in failed[2]
    assert Person.objects.get(email_normalized="p2@example.com").lifecycle_stage == "mql"


def test_a_touch_after_the_conversion_does_not_count_toward_it(world):
    """SQL attribution reads the imported SQL time: the later touch is left out."""
    early, late = f.program(name="Early", channel="web"), f.program(name="Late", channel="pr")
    now = datetime.now(UTC).replace(microsecond=0)
    sql_at = now - timedelta(days=10)
    arrived = (now - timedelta(days=30)).isoformat()
    text = f"email,created,became_sql_at\nq@example.com,{arrived},{sql_at.isoformat()}\n"
    job = _upload(world.admin, "people", text)
    _run(world.admin, job)
    person = Person.objects.get(email_normalized="q@example.com")
    for program, at in ((early, now - timedelta(days=20)), (late, now - timedelta(days=5))):
        Touch.objects.create(person=person, program=program, kind="page_visited", occurred_at=at)
    today = now.date()
    r = attribution_report.compute(
        attribution_report.Params(today - timedelta(days=40), today, outcome="sql")
    )
    credit = dict(zip((label for _, label in r.labels), r.value["linear"], strict=True))
    assert credit["Early"] == 1 and credit["Late"] == 0


def test_deals_come_with_their_close_time_and_contact(world):
    job = _upload(
        world.sales_manager, "opportunities",
        "Deal,Stage,Amount,Close time,Contact email,Owner\n"
        f"Big win,Closed won,5000,2025-06-30T15:45:00Z,{world.person.email},owner\n"
        "Ghost,Closed won,10,2025-06-30,nobody@example.com,owner\n",
    )  # fmt: skip
    assert job.mapping["3"] == "close" and job.mapping["4"] == "contact"
    job = _run(world.sales_manager, job)
    assert (job.created, job.failed) == (1, 1)
    assert "no person with the email" in job.rows.get(action="failed").message
    deal = Opportunity.objects.get(name="Big win")
    assert deal.closed_at == datetime(2025, 6, 30, 15, 45, tzinfo=UTC)
    assert deal.person == world.person
