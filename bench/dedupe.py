"""Fuzzy duplicate search over a loaded database (the large demo: 1,000,000 people).

    DATABASE_URL=postgresql://…/tandem_large .venv/bin/python bench/dedupe.py

Precision and recall are measured in tests/test_dedupe.py on a generated set with planted
duplicates; this measures the time.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup  # noqa: E402


def main() -> None:
    setup()
    from django.db import connection

    from tandem.contacts.models import Person
    from tandem.transfer import dedupe

    people = Person.objects.count()
    times, pairs = [], []
    for _ in range(3):
        started = time.perf_counter()
        pairs = dedupe.find_pairs()
        times.append(time.perf_counter() - started)
    print(
        f"{connection.vendor}: fuzzy duplicate search over {people:,} people: median "
        f"{statistics.median(times):.1f} s ({', '.join(f'{t:.1f}' for t in times)}), "
        f"{len(pairs):,} candidate pairs (target: 1,000,000 people under 2 minutes)"
    )


if __name__ == "__main__":
    main()
