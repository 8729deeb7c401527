from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tandem.accounts.selectors import owners_choices
from tandem.contacts.selectors import organization_qs, person_qs
from tandem.core import access, export, saved_filters, timeline
from tandem.core.errors import DomainError, Invalid
from tandem.core.replica import replica_reads
from tandem.core.roles import SALES_ROLES, Role
from tandem.core.web import guarded, next_url, render_list, save_form, with_toast
from tandem.sales import board_cards, partners, pricing, selectors, services
from tandem.sales.forms import (
    ActivityForm,
    BulkMoveForm,
    CompetitorForm,
    ContactForm,
    LineForm,
    MoveForm,
    ObjectionForm,
    OpportunityForm,
)
from tandem.sales.models import (
    ActivityKind,
    Competitor,
    DistributionChannel,
    LossReason,
    Partner,
    Stage,
    StageKind,
)


@guarded
def opportunities(request):
    page = selectors.opportunity_list(actor=request.user, params=request.GET)
    extra = {
        "saved": saved_filters.saved_filters_of(actor=request.user, resource="opportunities"),
        "saved_resource": "opportunities",
        "stages": Stage.objects.filter(pipeline__is_default=True).order_by("order"),
        "loss_reasons": LossReason.objects.filter(active=True),
        "all_competitors": Competitor.objects.filter(active=True),
        "statuses": StageKind.choices,
        "channels": DistributionChannel.choices,
        "can_create": access.can_create(request.user, "opportunity"),
        "columns": [("stage", "Stage"), ("amount", "Amount"), ("close", "Expected close"),
                    ("owner", "Owner"), ("channel", "Channel"), ("created", "Created")],
        "hidden_params": ["owner", "stage", "organization"],
        "page_total": sum(o.amount for o in page.items),
    }  # fmt: skip
    return render_list(request, "sales/opportunities.html", page, extra)


@require_POST
@guarded
def opportunities_bulk(request):
    form = BulkMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing moved: " + form.errors.as_text())
        return redirect("sales:opportunities")
    data = form.cleaned_data
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    opps, refused = selectors.opportunities_for_bulk(actor=request.user, ids=ids)
    errors = services.opportunity_bulk_move(
        actor=request.user,
        opportunities=opps,
        stage=data["stage"],
        loss_reason=data["loss_reason"],
        lost_to=data["lost_to"],
    )
    moved = len(opps) - len(errors)
    messages.success(request, f"Moved {moved} of {len(ids)} to {data['stage']}.")
    for pk, message in errors.items():
        messages.error(request, f"#{pk}: {message}")
    if refused:
        messages.error(request, f"Not yours to move: {', '.join(map(str, refused))}.")
    return redirect(next_url(request, reverse("sales:opportunities")))


@guarded
def opportunity(request, pk: int):
    opp = selectors.opportunity_get_for(actor=request.user, id=pk)
    can_edit = access.can_write(request.user, opp, "opportunity")
    context = {
        **timeline.page_context(request, opp, "opportunity"),
        "opp": opp,
        "can_edit": can_edit,
        "history": selectors.stage_history(opportunity=opp),
        "lines": opp.lines.select_related("product"),
        "objections": opp.objections.select_related("objection"),
        "competitors": opp.competitors.all(),
        "activities": opp.activities.select_related("owner").order_by("-due_at")[:30],
        "stages": Stage.objects.filter(pipeline_id=opp.pipeline_id).order_by("order"),
        "activity_form": ActivityForm() if can_edit else None,
        "loss_reasons": LossReason.objects.filter(active=True),
        "all_competitors": Competitor.objects.filter(active=True),
        "line_form": LineForm() if can_edit else None,
        "objection_form": ObjectionForm() if can_edit else None,
        "deal_contacts": opp.contacts.select_related("person").order_by("role", "person_id"),
        "contact_form": ContactForm(people=person_qs(request.user)) if can_edit else None,
        "competitor_form": CompetitorForm() if can_edit else None,
        "partners": Partner.objects.select_related("organization").order_by("organization__name"),
        "conflicts": partners.conflicts(opp),
        "requests": opp.discount_requests.select_related(
            "line__product", "requested_by", "decided_by"
        ),
        "can_decide": request.user.role in pricing.DECIDERS or access.is_admin(request.user),
    }
    return render(request, "sales/opportunity.html", context)


def _choices(user) -> dict:
    """What the deal form's pickers and owner menu offer: records the user may see; owners
    the user may give a deal to (a rep only themselves)."""
    owners = owners_choices(functions=SALES_ROLES)
    if not (access.is_admin(user) or user.role == Role.SALES_MANAGER):
        owners = owners.filter(pk=user.pk)
    return {
        "organizations": organization_qs(user),
        "people": person_qs(user),
        "owners": owners,
    }


def _prefill(request) -> dict:
    """?organization= and ?person= from the record a new deal was started on; the person's
    organization comes with them."""
    out = {}
    person = person_qs(request.user).filter(pk=_int(request.GET.get("person"))).first()
    if person:
        out["person"] = person.pk
        if person.organization_id:
            out["organization"] = person.organization_id
    org = organization_qs(request.user).filter(pk=_int(request.GET.get("organization"))).first()
    if org:
        out["organization"] = org.pk
    return out


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


@guarded
def opportunity_new(request):
    access.require_create(request.user, "opportunity")
    initial = {"currency": "USD", "channel": DistributionChannel.DIRECT_SELLING}
    initial.update(_prefill(request))
    form = OpportunityForm(request.POST or None, initial=initial, **_choices(request.user))

    def save(data):
        stage = (
            data.pop("stage", None)
            or Stage.objects.filter(pipeline__is_default=True).order_by("order").first()
        )
        if stage is None:
            raise Invalid("Set up a pipeline first.", field="stage")
        return services.opportunity_create(actor=request.user, data=data, stage=stage)

    return save_form(request, form, save, "contacts/form.html", {"title": "New opportunity"})


@guarded
def opportunity_edit(request, pk: int):
    opp = selectors.opportunity_get_for(actor=request.user, id=pk, action=access.WRITE)
    form = OpportunityForm(request.POST or None, instance=opp, **_choices(request.user))
    return save_form(
        request,
        form,
        lambda data: services.opportunity_update(actor=request.user, opportunity=opp, data=data),
        "contacts/form.html",
        {"title": f"Edit {opp}"},
    )


QUICK_LOG = {"call": "Call held", "meeting": "Meeting held", "email": "Email sent"}


@require_POST
@guarded
def opportunity_move(request, pk: int):
    """Move a deal; from the board (htmx) answer with the board, asking for a loss reason
    when a deal is dropped on Closed lost without one."""
    opp = selectors.opportunity_get_for(actor=request.user, id=pk, action=access.WRITE)
    form = MoveForm(request.POST)
    if not form.is_valid():
        raise Invalid("Pick a stage.", field="stage")
    data = form.cleaned_data
    try:
        services.opportunity_move(
            actor=request.user,
            opportunity=opp,
            stage=data["stage"],
            loss_reason=data["loss_reason"],
            lost_to=data["lost_to"],
        )
    except Invalid as exc:
        if request.POST.get("from") == "board" and data["stage"].kind == StageKind.LOST:
            return _board(
                request, closing={"opp": opp, "stage": data["stage"], "error": exc.message}
            )
        if request.POST.get("from") == "board":
            return _board(request, error=exc.message)
        messages.error(request, exc.message)
    if request.POST.get("from") == "board":
        return _board(request)
    return redirect(opp.get_absolute_url())


def _board(request, closing: dict | None = None, error: str = ""):
    pipeline = selectors.default_pipeline()
    owner = request.GET.get("owner") or request.POST.get("owner") or ""
    owner_id = int(owner) if owner.isdigit() else None
    columns = (
        selectors.board(actor=request.user, pipeline=pipeline, owner_id=owner_id)
        if pipeline
        else []
    )
    options, base = board_cards.stage_options(columns), reverse("sales:opportunities")
    for column in columns:
        column["cards_html"] = board_cards.render_cards(column["cards"], base=base, options=options)
    context = {
        "columns": columns,
        "owner": owner_id,
        "closing": closing,
        "error": error,
        "loss_reasons": LossReason.objects.filter(active=True),
        "competitors": Competitor.objects.filter(active=True),
        "can_create": access.can_create(request.user, "opportunity"),
    }
    template = "sales/board.html#board" if request.htmx else "sales/board.html"
    return render(request, template, context)


@guarded
def board(request):
    access.require_see(request.user, "opportunity")
    return _board(request)


def _record_on_deal(request, pk: int, form_class, service):
    """POST a small form about a deal to one service, then back to the deal."""
    opp = selectors.opportunity_get_for(actor=request.user, id=pk, action=access.WRITE)
    form = form_class(request.POST)
    if form.is_valid():
        service(actor=request.user, opportunity=opp, **form.cleaned_data)
    else:
        messages.error(request, "Not recorded: " + form.errors.as_text())
    return redirect(opp.get_absolute_url())


@require_POST
@guarded
def contact_add(request, pk: int):
    opp = selectors.opportunity_get_for(actor=request.user, id=pk, action=access.WRITE)
    form = ContactForm(request.POST, people=person_qs(request.user))
    if form.is_valid():
        try:
            row = services.contact_add(actor=request.user, opportunity=opp, **form.cleaned_data)
            role = row.get_role_display().lower()
            messages.success(request, f"{row.person.name} is on the deal as {role}.")
        except DomainError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "Not added: choose a person you can see and their role.")
    return redirect(opp.get_absolute_url())


@require_POST
@guarded
def contact_remove(request, pk: int, person_id: int):
    opp = selectors.opportunity_get_for(actor=request.user, id=pk, action=access.WRITE)
    services.contact_remove(actor=request.user, opportunity=opp, person_id=person_id)
    messages.success(request, "Removed from the deal.")
    return redirect(opp.get_absolute_url())


@require_POST
@guarded
def objection_add(request, pk: int):
    return _record_on_deal(request, pk, ObjectionForm, services.objection_record)


@require_POST
@guarded
def competitor_add(request, pk: int):
    return _record_on_deal(request, pk, CompetitorForm, services.competitor_add)


@require_POST
@guarded
def activity_log(request, pk: int):
    """Log an activity on a deal: the full form, or one click for a call, meeting or email
    that just happened."""
    opp = selectors.opportunity_get_for(actor=request.user, id=pk, action=access.WRITE)
    quick = request.POST.get("quick")
    if quick in QUICK_LOG:
        now = timezone.now()
        data = {"kind": quick, "subject": QUICK_LOG[quick], "due_at": now, "selling": True}
        act = services.activity_create(
            actor=request.user, data={**data, "opportunity": opp, "organization": opp.organization}
        )
        services.activity_complete(actor=request.user, act=act)
        messages.success(request, f"{QUICK_LOG[quick]} logged.")
        return redirect(opp.get_absolute_url())
    form = ActivityForm(request.POST)
    if form.is_valid():
        try:
            services.activity_create(
                actor=request.user,
                data={**form.cleaned_data, "opportunity": opp, "organization": opp.organization},
            )
            messages.success(request, "Activity logged.")
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "Not logged: " + form.errors.as_text())
    return redirect(opp.get_absolute_url())


@guarded
def activities(request):
    page = selectors.activity_list(actor=request.user, params=request.GET)
    extra = {
        "kinds": ActivityKind.choices,
        "done_choices": [("false", "Open"), ("true", "Done")],
    }
    return render_list(request, "sales/activities.html", page, extra)


@guarded
def activity(request, pk: int):
    act = selectors.activity_get_for(actor=request.user, id=pk)
    context = {
        **timeline.page_context(request, act, "activity"),
        "act": act,
        "can_edit": access.can_write(request.user, act, "activity"),
    }
    return render(request, "sales/activity.html", context)


@require_POST
@guarded
def activity_done(request, pk: int):
    act = selectors.activity_get_for(actor=request.user, id=pk, action=access.WRITE)
    services.activity_complete(actor=request.user, act=act)
    if request.htmx:
        response = render(request, "sales/_task.html", {"a": act})
        return with_toast(response, f"Done: {act.subject}")
    messages.success(request, f"Done: {act.subject}")
    return redirect(next_url(request, act.get_absolute_url()))


@guarded
@replica_reads
def opportunities_export(request):
    header, rows = selectors.opportunity_export(actor=request.user, params=request.GET)
    return export.response(request.GET.get("format", "csv"), "opportunities", header, rows)
