from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tandem.core import access, timeline
from tandem.core.errors import DomainError
from tandem.core.web import guarded, render_list, save_form
from tandem.marketing import selectors, services
from tandem.marketing.forms import CostForm, ProgramForm
from tandem.marketing.models import Channel, ProgramStatus


@guarded
def programs(request):
    page = selectors.program_list(actor=request.user, params=request.GET)
    extra = {
        "channels": Channel.choices,
        "statuses": ProgramStatus.choices,
        "can_create": access.can_create(request.user, "program"),
    }
    return render_list(request, "marketing/programs.html", page, extra)


def _related(actor, qs, resource: str) -> list:
    if not access.can_see(actor, resource):
        return []
    return list(access.scope(actor, qs, resource).order_by("-id")[:10])


@guarded
def program(request, pk: int):
    obj = selectors.program_get_for(actor=request.user, id=pk)
    can_edit = access.can_write(request.user, obj, "program")
    context = {
        **timeline.page_context(request, obj, "program"),
        "program": obj,
        "can_edit": can_edit,
        "card": selectors.program_card(program=obj),
        "costs": obj.costs.order_by("-incurred_on")[:20],
        "cost_form": CostForm() if can_edit else None,
        "touches": selectors.touch_qs(request.user)
        .filter(program=obj)
        .select_related("person")
        .order_by("-occurred_at")[:10],
        "forms": _related(request.user, obj.forms.all(), "form"),
        "campaigns": _related(request.user, obj.campaigns.all(), "campaign"),
    }
    return render(request, "marketing/program.html", context)


@guarded
def program_new(request):
    access.require_create(request.user, "program")
    form = ProgramForm(request.POST or None, initial={"currency": "USD"})
    return save_form(
        request,
        form,
        lambda data: services.program_create(actor=request.user, data=data),
        "contacts/form.html",
        {"title": "New program"},
    )


@guarded
def program_edit(request, pk: int):
    obj = selectors.program_get_for(actor=request.user, id=pk, action=access.WRITE)
    form = ProgramForm(request.POST or None, instance=obj)
    return save_form(
        request,
        form,
        lambda data: services.program_update(actor=request.user, program=obj, data=data),
        "contacts/form.html",
        {"title": f"Edit {obj}"},
    )


@require_POST
@guarded
def program_cost(request, pk: int):
    obj = selectors.program_get_for(actor=request.user, id=pk, action=access.WRITE)
    form = CostForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The cost was not recorded: " + form.errors.as_text())
        return redirect(obj.get_absolute_url())
    try:
        services.program_cost_add(actor=request.user, program=obj, data=form.cleaned_data)
        messages.success(request, "Cost recorded.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(obj.get_absolute_url())
