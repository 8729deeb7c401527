"""/styleguide/ (staff only): every component of the design system, live, as the pages use
them. A browser test screenshots it; new pages build from what is shown here."""

from datetime import timedelta

from django import forms
from django.shortcuts import render
from django.utils import timezone

from tandem.core import charts
from tandem.core.errors import Forbidden
from tandem.core.timeline import Item
from tandem.core.web import guarded

COLOURS = ("bg", "surface", "surface-2", "surface-3", "border", "text", "text-2", "text-3",
           "accent", "accent-strong", "accent-soft", "good", "good-soft", "warn", "warn-soft",
           "bad", "bad-soft", "info", "info-soft")  # fmt: skip
STAGES = ("subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer", "disqualified")


class SampleForm(forms.Form):
    name = forms.CharField(label="Deal name", max_length=100)
    amount = forms.DecimalField(label="Amount", min_value=0, help_text="In the deal's currency.")
    stage = forms.ChoiceField(choices=[("qualify", "Qualify"), ("propose", "Propose")])
    notify = forms.BooleanField(label="Tell the owner", required=False)
    note = forms.CharField(label="Note", widget=forms.Textarea, required=False)


def _require_staff(user) -> None:
    if not (user.is_staff or getattr(user, "role", "") == "admin"):
        raise Forbidden("The style guide is for the people who build Tandem.")


@guarded
def styleguide(request):
    _require_staff(request.user)
    now = timezone.now()
    invalid = SampleForm({"name": "", "amount": "-5", "stage": "propose"})
    invalid.is_valid()
    context = {
        "colours": COLOURS,
        "stages": STAGES,
        "statuses": ("active", "planned", "draft", "failed", "completed"),
        "form": SampleForm(),
        "invalid": invalid,
        "timeline": [
            Item(
                at=now - timedelta(hours=2),
                kind="activity",
                title="Call: pricing questions",
                body="Wants the annual plan.",
                who="Rita Ramos",
                icon="phone",
            ),
            Item(
                at=now - timedelta(days=1),
                kind="email",
                title="Opened “Your trial ends soon”",
                who="Campaign",
                icon="mail",
            ),
            Item(at=now - timedelta(days=3), kind="stage", title="Became an MQL", icon="stage"),
        ],  # fmt: skip
        "upcoming": [
            Item(at=now + timedelta(days=2), kind="activity", title="Demo", icon="calendar")
        ],
        "chart": charts.spec(
            "bar",
            ["Jan", "Feb", "Mar", "Apr", "May", "Jun"],
            [("Leads", [120, 150, 138, 190, 210, 240]), ("Plan", [140] * 6, "target")],
            format="number",
        ),
        "due_soon": now + timedelta(hours=5),
        "overdue": now - timedelta(days=2),
        "later": now + timedelta(days=6),
        "money": 3776550,
    }
    return render(request, "core/styleguide.html", context)


@guarded
def styleguide_drawer(request):
    """A form in the drawer, as the quick actions open theirs."""
    _require_staff(request.user)
    form = SampleForm(request.POST or None)
    if request.method == "POST":
        form.is_valid()
    context = {"form": form, "title": "A form in the drawer", "action": request.path}
    return render(request, "components/drawer_form.html", context)
