import time
from datetime import date

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tandem.demo import loader
from tandem.demo.world import DEMO_PASSWORD, model


class Command(BaseCommand):
    help = "Load the deterministic demo workspace (small: ~5,000 people; large: 1,000,000)."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(loader.SIZES), default="small")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="The demo's 'today' (YYYY-MM-DD); defaults to today.",
        )
        parser.add_argument("--reset", action="store_true", help="Empty the database first.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when users exist.")

    def handle(self, *args, size, seed, as_of, reset, if_empty, **options):
        User = model("accounts.User")
        if if_empty and User.objects.exists():
            self.stdout.write("The database already has data; demo not loaded.")
            return
        if reset:
            call_command("flush", interactive=False, verbosity=0)
        elif User.objects.exists():
            raise CommandError(
                "The database is not empty: use --reset to replace it with the demo."
            )
        started = time.perf_counter()
        result = loader.load(size=size, seed=seed, as_of=as_of, progress=self.stdout.write)
        seconds = time.perf_counter() - started
        for table, n in sorted(result.counts.items()):
            self.stdout.write(f"  {table:<36} {n:>10,}")
        self.stdout.write(self.style.SUCCESS(f"Demo '{size}' loaded in {seconds:.1f} s."))
        self.stdout.write(f"Demo logins (password '{DEMO_PASSWORD}'):")
        for role, username in result.logins:
            self.stdout.write(f"  {role:<18} {username}")
