import time

from django.core.management.base import BaseCommand

from tandem.handoff import learning, predictive
from tandem.handoff.x_education import AFTER_CONTACT
from tandem.handoff.x_education import table as x_education_table


class Command(BaseCommand):
    help = "Train the predictive score on this workspace's history (or evaluate on a CSV)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=200_000, help="Newest people to use.")
        parser.add_argument(
            "--x-education",
            metavar="LEADS_CSV",
            help="Only evaluate on the public X Education Leads.csv (time split by lead number).",
        )

    def handle(self, *args, limit, x_education, **options):
        started = time.perf_counter()
        if x_education:
            table = x_education_table(x_education)
            fit = learning.fit(table)
            self.stdout.write(
                f"X Education: {len(table.y)} leads, {int(table.y.sum())} converted, "
                f"{len(table.columns)} columns (the {len(AFTER_CONTACT)} filled in "
                f"after contact left out); trained on the oldest {fit.train}, AUC {fit.auc:.3f} "
                f"on the newest {fit.valid} ({time.perf_counter() - started:.1f} s)"
            )
            return
        stored = predictive.train(limit=limit)
        self.stdout.write(
            f"Trained on {stored.trained_on} people ({stored.positives} became SQL or customer "
            f"overall); AUC {stored.auc:.3f} on the newest {stored.validated_on}"
            f"{'' if stored.in_use else ' — not used: ' + stored.note} "
            f"({time.perf_counter() - started:.1f} s)"
        )
