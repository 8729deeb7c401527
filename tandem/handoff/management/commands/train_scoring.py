import time

from django.core.management.base import BaseCommand

from tandem.handoff import predictive


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
            data = predictive.x_education_dataset(x_education)
            result = predictive.fit_and_validate(data)
            self.stdout.write(
                f"X Education: {len(data.y)} leads, {int(data.y.sum())} converted, "
                f"{len(data.names)} columns (sales-filled ones left out); trained on the oldest "
                f"{result['train']}, AUC {result['auc']:.3f} on the newest {result['valid']} "
                f"({time.perf_counter() - started:.1f} s)"
            )
            return
        stored = predictive.train(limit=limit)
        self.stdout.write(
            f"Trained on {stored.trained_on} people ({stored.positives} became SQL or customer "
            f"overall); AUC {stored.auc:.3f} on the newest {stored.validated_on} "
            f"({time.perf_counter() - started:.1f} s)"
        )
