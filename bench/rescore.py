"""Scoring on the large demo: a bulk rescore of everyone, and an incremental rescore for one new
touch. Run on a loaded database (make bench loads one; or DATABASE_URL=... demo --size large).

    DATABASE_URL=postgresql://…/tandem_large .venv/bin/python bench/rescore.py
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup  # noqa: E402

RUNS = 3
INCREMENTAL = 50


def main() -> None:
    setup()
    from django.db import connection
    from django.utils import timezone

    from tandem.contacts.models import Person
    from tandem.handoff import scoring, scoring_sql
    from tandem.handoff.models import ScoringConfig, ScoringRule
    from tandem.marketing.models import Touch

    people, touches = Person.objects.count(), Touch.objects.count()
    rules = ScoringRule.objects.filter(is_active=True).count()
    print(f"{connection.vendor}: {people:,} people, {touches:,} touches, {rules} rules")
    bulk = []
    for _ in range(RUNS):
        result = scoring_sql.rescore_all()
        bulk.append(result["seconds"])
        print(f"  bulk rescore {result['seconds']:6.2f} s ({result['changed']:,} changed)")
    print(f"bulk rescore median {statistics.median(bulk):.1f} s (target under 60 s)")

    config = ScoringConfig.get()
    saved = config.mql_threshold
    ScoringConfig.objects.filter(pk=config.pk).update(mql_threshold=10**6)  # score only
    config.refresh_from_db()
    try:
        ids = list(
            Person.objects.filter(touches__isnull=False).values_list("pk", flat=True)[:INCREMENTAL]
        )
        rule_list = scoring.active_rules()
        times = []
        for pk in ids:
            Touch.objects.create(person_id=pk, kind="form_submitted", occurred_at=timezone.now())
            started = time.perf_counter()
            scoring.rescore_person(pk, rules=rule_list, config=config)
            times.append((time.perf_counter() - started) * 1000)
        per_person = Touch.objects.filter(person_id__in=ids).count() / len(ids)
        print(
            f"incremental rescore for one new touch: median {statistics.median(times):.1f} ms, "
            f"max {max(times):.1f} ms over {len(ids)} people ({per_person:.0f} touches each on "
            "average; target under 20 ms)"
        )
    finally:
        ScoringConfig.objects.filter(pk=config.pk).update(mql_threshold=saved)


if __name__ == "__main__":
    main()
