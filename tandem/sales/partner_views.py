"""Partner pages and endpoints: sign partners, register deals, see channel conflicts."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from ninja import Field, Router, Schema, Status

from tandem.contacts.selectors import organization_get_for
from tandem.core import access
from tandem.core.api_support import Id, PathId
from tandem.core.errors import DomainError, Invalid
from tandem.core.web import guarded
from tandem.sales import partners, selectors
from tandem.sales.models import Partner, PartnerKind


class PartnerForm(forms.Form):
    organization = forms.IntegerField(min_value=1, label="Organization id")
    kind = forms.ChoiceField(choices=PartnerKind.choices)
    tier = forms.CharField(max_length=20, initial="standard")


def _partner(partner_id) -> Partner | None:
    if partner_id in (None, ""):
        return None
    partner = Partner.objects.select_related("organization").filter(pk=partner_id).first()
    if partner is None:
        raise Invalid("No such partner.", field="partner_id")
    return partner


@guarded
def partner_list(request):
    access.require_see(request.user, "opportunity")
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = organization_get_for(actor=request.user, id=form.cleaned_data["organization"])
            partners.partner_create(
                actor=request.user,
                organization=org,
                kind=form.cleaned_data["kind"],
                tier=form.cleaned_data["tier"],
            )
            messages.success(request, f"{org} is now a partner.")
            return redirect("sales:partners")
        except DomainError as exc:
            form.add_error(None, exc.message)
    is_manager = request.user.role in partners.MANAGERS or access.is_admin(request.user)
    context = {
        "partners": Partner.objects.select_related("organization").order_by("organization__name"),
        "form": form if is_manager else None,
        "conflicts": partners.all_conflicts(opps=selectors.opportunity_qs(request.user))
        if is_manager
        else None,
    }
    return render(request, "sales/partners.html", context)


@require_POST
@guarded
def register(request, pk: int):
    opp = selectors.opportunity_get_for(actor=request.user, id=pk, action=access.WRITE)
    try:
        _, found = partners.deal_register(
            actor=request.user, opportunity=opp, partner=_partner(request.POST.get("partner"))
        )
        if found:
            names = ", ".join(str(o.partner) for o in found)
            messages.warning(request, f"Channel conflict: also registered by {names}.")
        else:
            messages.success(request, "Registration saved.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(opp.get_absolute_url())


router = Router(tags=["partners"])


class PartnerIn(Schema):
    organization_id: Id
    kind: PartnerKind
    tier: str = Field("standard", max_length=20)


class PartnerOut(Schema):
    id: int
    organization_id: int
    name: str = Field(..., alias="organization.name")
    kind: str
    tier: str


class RegistrationIn(Schema):
    partner_id: Id | None


class RegistrationOut(Schema):
    opportunity_id: int
    partner_id: int | None
    channel: str
    conflicts: list[int]


@router.get("/partners", response=list[PartnerOut])
def list_partners(request):
    access.require_see(request.user, "opportunity")
    return list(Partner.objects.select_related("organization").order_by("organization__name"))


@router.post("/partners", response={201: PartnerOut})
def create_partner(request, payload: PartnerIn):
    try:
        org = organization_get_for(actor=request.user, id=payload.organization_id)
    except DomainError:
        raise Invalid("No such organization you can see.", field="organization_id") from None
    partner = partners.partner_create(
        actor=request.user, via="api", organization=org, kind=payload.kind, tier=payload.tier
    )
    return Status(201, partner)


@router.put("/opportunities/{opp_id}/registration", response=RegistrationOut)
def set_registration(request, opp_id: PathId, payload: RegistrationIn):
    opp = selectors.opportunity_get_for(actor=request.user, id=opp_id, action=access.WRITE)
    opp, found = partners.deal_register(
        actor=request.user, via="api", opportunity=opp, partner=_partner(payload.partner_id)
    )
    return {
        "opportunity_id": opp.pk,
        "partner_id": opp.partner_id,
        "channel": opp.channel,
        "conflicts": [o.pk for o in found],
    }
