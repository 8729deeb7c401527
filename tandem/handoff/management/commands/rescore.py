import time

from django.core.management.base import BaseCommand

from tandem.contacts.models import Person
from tandem.handoff import scoring, scoring_sql, tasks
from tandem.handoff.models import ScoringConfig


class Command(BaseCommand):
    help = "Score everyone again (bulk), or only the people touched since the last sweep."

    def add_arguments(self, parser):
        parser.add_argument("--touched", action="store_true", help="Only people touched lately.")
        parser.add_argument(
            "--follow", action="store_true", help="Queue the incremental and SLA sweep tasks."
        )

    def handle(self, *args, touched, follow, **options):
        if follow:
            tasks.start()
            self.stdout.write("Sweeps queued: run `manage.py db_worker` to work them.")
            return
        if touched:
            self.stdout.write(f"{scoring.rescore_touched()} touches rescored.")
            return
        result = scoring_sql.rescore_all()
        started = time.perf_counter()
        config = ScoringConfig.get()
        crossing = list(
            Person.objects.filter(
                score__gte=config.mql_threshold, lifecycle_stage__in=scoring.QUALIFIABLE
            ).values_list("pk", flat=True)
        )
        rules = scoring.active_rules()
        for person_id in crossing:
            scoring.rescore_person(person_id, rules=rules, config=config)
        self.stdout.write(
            f"{result['people']} people scored in {result['seconds']:.1f} s, "
            f"{result['changed']} changed; {len(crossing)} crossed into MQL and were routed "
            f"in {time.perf_counter() - started:.1f} s."
        )
