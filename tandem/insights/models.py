from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Metric(models.TextChoices):
    LEADS = "leads", "Leads"
    MQLS = "mqls", "MQLs"
    MQL_TO_SQL_RATE = "mql_to_sql_rate", "MQL → SQL rate (%)"
    WIN_RATE = "win_rate", "Win rate (%)"
    REVENUE = "revenue", "Won revenue"
    COST_PER_LEAD = "cost_per_lead", "Cost per lead"
    BUDGET = "budget", "Budget"


class Plan(models.Model):
    """Marketing as a management loop: the 'Ought' for a period."""

    name = models.CharField(max_length=200)
    period_start = models.DateField()
    period_end = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="plan_period_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    program = models.ForeignKey(
        "marketing.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    value = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "metric", "program"],
                condition=Q(program__isnull=False),
                name="target_unique_program",
            ),
            models.UniqueConstraint(
                fields=["plan", "metric"],
                condition=Q(program__isnull=True),
                name="target_unique_plan",
            ),
        ]
