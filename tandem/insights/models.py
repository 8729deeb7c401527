from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Metric(models.TextChoices):
    # per program (or, without a program, for the whole of marketing)
    LEADS = "leads", "Leads"
    MQLS = "mqls", "MQLs"
    COST = "cost", "Cost"
    COST_PER_LEAD = "cost_per_lead", "Cost per lead"
    BUDGET = "budget", "Budget"
    MQL_TO_SQL_RATE = "mql_to_sql_rate", "MQL → SQL rate (%)"
    # per team or rep (or, without either, for all of sales)
    SQLS_ACCEPTED = "sqls_accepted", "SQLs accepted"
    WIN_RATE = "win_rate", "Win rate (%)"
    REVENUE = "revenue", "Won revenue"
    # for the company
    CAC = "cac", "Customer acquisition cost"


# Metrics where less is better: their traffic light turns red above the Ought.
LOWER_IS_BETTER = {Metric.COST, Metric.COST_PER_LEAD, Metric.BUDGET, Metric.CAC}
# Metrics that add up over the period: their pace is projected to the period's end.
CUMULATIVE = {
    Metric.LEADS,
    Metric.MQLS,
    Metric.COST,
    Metric.BUDGET,
    Metric.SQLS_ACCEPTED,
    Metric.REVENUE,
}
PROGRAM_METRICS = (Metric.LEADS, Metric.MQLS, Metric.COST, Metric.COST_PER_LEAD, Metric.BUDGET)
SALES_METRICS = (Metric.SQLS_ACCEPTED, Metric.WIN_RATE, Metric.REVENUE)


class PlanKind(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


class Plan(models.Model):
    """Marketing as a management loop: the 'Ought' for a period."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=PlanKind.choices, default=PlanKind.QUARTER)
    period_start = models.DateField()
    period_end = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="plan_period_ordered"
            ),
            models.UniqueConstraint(fields=["kind", "period_start"], name="plan_one_per_period"),
        ]
        ordering = ["-period_start", "kind"]

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """One Ought: a metric for the company, a program, a team or a rep."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    program = models.ForeignKey(
        "marketing.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    value = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(program__isnull=True, team__isnull=True)
                    | Q(program__isnull=True, rep__isnull=True)
                    | Q(team__isnull=True, rep__isnull=True)
                ),
                name="target_one_scope",
            ),
            models.UniqueConstraint(
                fields=["plan", "metric", "program"],
                condition=Q(program__isnull=False),
                name="target_unique_program",
            ),
            models.UniqueConstraint(
                fields=["plan", "metric", "team"],
                condition=Q(team__isnull=False),
                name="target_unique_team",
            ),
            models.UniqueConstraint(
                fields=["plan", "metric", "rep"],
                condition=Q(rep__isnull=False),
                name="target_unique_rep",
            ),
            models.UniqueConstraint(
                fields=["plan", "metric"],
                condition=Q(program__isnull=True, team__isnull=True, rep__isnull=True),
                name="target_unique_plan",
            ),
        ]

    @property
    def scope(self) -> str:
        if self.program_id:
            return "program"
        if self.team_id:
            return "team"
        if self.rep_id:
            return "rep"
        return "company"


class ControlAction(models.Model):
    """What a manager decided to change after reading the variance, dated."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="actions")
    on = models.DateField(default=timezone.localdate)
    note = models.TextField(max_length=2000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "id"]


class BudgetBound(models.Model):
    """The least and most a marketer will put into a program whatever the attribution says."""

    program = models.OneToOneField(
        "marketing.Program", on_delete=models.CASCADE, related_name="budget_bound"
    )
    minimum = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    maximum = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(maximum__isnull=True) | Q(maximum__gte=F("minimum")),
                name="budget_bound_ordered",
            ),
            models.CheckConstraint(condition=Q(minimum__gte=0), name="budget_bound_positive"),
        ]


class SalesCost(models.Model):
    """Sales' own cost of a period (salaries, commissions, travel), for CAC."""

    incurred_on = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    description = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["incurred_on"], name="salescost_day_idx")]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="salescost_amount")]


class Reach(models.Model):
    """Per person: the first touch and the first time at each stage of the funnel.

    Derived data, kept by database triggers on people and lifecycle transitions (migration
    insights 0003), whoever writes them: forms, imports, merges, the admin or raw SQL. The
    funnel reads this one narrow table instead of joining every person to all their
    transitions. Never write it from Python."""

    person = models.OneToOneField(
        "contacts.Person",
        primary_key=True,
        on_delete=models.DO_NOTHING,  # the triggers remove the row with the person
        db_constraint=False,
        related_name="+",
    )
    first_touch_at = models.DateTimeField(null=True)
    source_program_id = models.BigIntegerField(null=True)
    lead_at = models.DateTimeField(null=True)
    mql_at = models.DateTimeField(null=True)
    sal_at = models.DateTimeField(null=True)
    sql_at = models.DateTimeField(null=True)
    opportunity_at = models.DateTimeField(null=True)
    customer_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["first_touch_at"], name="reach_first_touch_idx")]
