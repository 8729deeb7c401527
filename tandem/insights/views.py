from django.shortcuts import render

from tandem.core.period_form import period_from
from tandem.core.web import guarded
from tandem.insights import selectors


@guarded
def funnel(request):
    form, since, until = period_from(request.GET)
    rows = selectors.funnel(actor=request.user, since=since, until=until)
    context = {"form": form, "rows": rows, "since": since, "until": until}
    return render(request, "insights/funnel.html", context)
