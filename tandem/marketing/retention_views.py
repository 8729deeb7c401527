"""Settings → Data retention: the rule, and how many people it would erase now."""

from django.contrib import messages
from django.shortcuts import redirect, render

from tandem.contacts import privacy
from tandem.core import activity, workspace
from tandem.core.errors import Forbidden, Invalid
from tandem.core.web import guarded
from tandem.marketing import retention


def _months(raw) -> int:
    text = str(raw or "0").strip()
    if not text.isdigit() or int(text) > 600:
        raise Invalid("Give a number of months from 0 (keep everyone) to 600.", field="months")
    return int(text)


@guarded
def retention_page(request):
    if not privacy.may_handle(request.user):
        raise Forbidden("Admins and the marketing manager set the retention rule.")
    ws = workspace.get()
    if request.method == "POST":
        months = _months(request.POST.get("months"))
        old = ws.retention_months
        ws.retention_months = months
        workspace.save_fields(ws, "retention_months")
        activity.record(actor=request.user, via="ui", verb="settings_changed", target=ws,
                        changes={"retention_months": [old, months]})  # fmt: skip
        messages.success(request, "Saved. The rule runs once a day.")
        return redirect("settings:retention")
    months = _months(request.GET.get("months", ws.retention_months))
    context = {"months": months, "saved": ws.retention_months,
               "would": retention.dry_run(months) if months else 0}  # fmt: skip
    return render(request, "marketing/settings_retention.html", context)
