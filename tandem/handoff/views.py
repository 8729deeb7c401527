from django.utils import timezone

from tandem.core.web import guarded, render_list
from tandem.handoff import selectors
from tandem.handoff.models import HandoffStatus


@guarded
def queue(request):
    page = selectors.handoff_list(actor=request.user, params=request.GET)
    extra = {
        "statuses": HandoffStatus.choices,
        "summary": selectors.handoff_summary(actor=request.user),
        "now": timezone.now(),
    }
    return render_list(request, "handoff/queue.html", page, extra)
