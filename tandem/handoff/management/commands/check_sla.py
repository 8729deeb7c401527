from django.core.management.base import BaseCommand

from tandem.handoff import services


class Command(BaseCommand):
    help = "Mark handoffs past their SLA, tell the managers, reassign if the contract says so."

    def handle(self, *args, **options):
        self.stdout.write(f"{services.check_breaches()} handoffs breached their SLA.")
