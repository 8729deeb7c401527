"""What a new workspace starts with, so that a team can sell on the first day: a pipeline
with the stages of the selling process, the usual loss reasons and objections. All of it is
editable in Settings; a migration creates it (and the demo reuses it)."""

STAGES = (
    ("Qualify", 10, "open"),
    ("Present", 25, "open"),
    ("Handle objections", 50, "open"),
    ("Negotiate", 75, "open"),
    ("Closed won", 100, "won"),
    ("Closed lost", 0, "lost"),
)
LOSS_REASONS = (
    ("Price too high", False),
    ("Lost to competitor", True),
    ("No budget", False),
    ("No decision", False),
    ("Missing feature", False),
    ("Bad timing", False),
)
OBJECTIONS = (
    "Too expensive",
    "Happy with current tool",
    "Migration effort",
    "Needs security review",
    "No time to evaluate",
    "Missing integration",
)
PIPELINE = "New business"


def create(Pipeline, Stage, LossReason, Objection) -> None:
    """Idempotent: only what is missing is created (models may be historical ones)."""
    if not Pipeline.objects.exists():
        pipeline = Pipeline.objects.create(name=PIPELINE, is_default=True)
        for order, (name, probability, kind) in enumerate(STAGES, start=1):
            Stage.objects.create(
                pipeline=pipeline, name=name, order=order, probability=probability, kind=kind
            )
    for name, names_competitor in LOSS_REASONS:
        LossReason.objects.get_or_create(name=name, defaults={"names_competitor": names_competitor})
    for name in OBJECTIONS:
        Objection.objects.get_or_create(name=name)
