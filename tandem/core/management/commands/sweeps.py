from django.core.management.base import BaseCommand

from tandem.core import sweeps


class Command(BaseCommand):
    help = "Queue the periodic tasks (scoring, SLA breaches, upload clean-up) for db_worker."

    def handle(self, *args, **options):
        started = sweeps.start_all()
        self.stdout.write(f"{len(started)} sweeps queued: run `manage.py db_worker` to work them.")
