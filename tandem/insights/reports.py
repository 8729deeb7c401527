"""The registry of reports: name → title, parameter form, module, and who may read it."""

from dataclasses import dataclass

from tandem.core import access
from tandem.core.errors import Forbidden, Invalid, NotFound
from tandem.insights import attribution_report, budget, forms, funnel, programs, reps, voc

MARKETING_READERS = ("marketer", "marketing_manager", "sales_manager", "admin")


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    form: type
    module: object
    readers: tuple[str, ...] | None  # roles; None = everyone signed in


REPORTS = {
    r.name: r
    for r in (
        Report("funnel", "Funnel", forms.FunnelForm, funnel, None),
        Report("programs", "Program scorecard", forms.ProgramsForm, programs, MARKETING_READERS),
        Report(
            "reps",
            "Rep scorecard",
            forms.RepsForm,
            reps,
            ("sales_rep", "sales_manager", "marketing_manager", "admin"),
        ),
        Report(
            "attribution",
            "Attribution",
            forms.AttributionForm,
            attribution_report,
            MARKETING_READERS,
        ),
        Report("budget", "Budget proposal", forms.BudgetForm, budget, MARKETING_READERS),
        Report("voc", "Voice of the customer", forms.VocForm, voc, MARKETING_READERS),
    )
}


def get(actor, name: str) -> Report:
    report = REPORTS.get(name)
    if report is None:
        raise NotFound()
    if report.readers is not None and not (access.is_admin(actor) or actor.role in report.readers):
        raise Forbidden(f"Your role does not read the {report.title.lower()}.")
    return report


def errors_text(form) -> str:
    """A form's errors in one line, for an API answer or a message."""
    return "; ".join(
        f"{name}: {' '.join(errs)}" if name != "__all__" else " ".join(errs)
        for name, errs in form.errors.items()
    )


def bind(report: Report, data):
    """The bound form and its params (None when the form has errors)."""
    form = report.form(data)
    if not form.is_valid():
        return form, None
    return form, form.params()


def _checked(actor, name: str, data):
    """The report and its params; Invalid with the form's errors when they are wrong."""
    report = get(actor, name)
    form, params = bind(report, data)
    if params is None:
        raise Invalid(errors_text(form))
    return report, params


def run(actor, name: str, data):
    report, params = _checked(actor, name, data)
    return report.module.report(actor, params)


def drill(actor, name: str, data, row: str, column: str) -> tuple[str, list[int]]:
    report, params = _checked(actor, name, data)
    return report.module.drill(actor, params, row, column)
