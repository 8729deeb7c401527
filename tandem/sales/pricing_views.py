"""Pages of the price policy: lines on a deal, decisions on requests, the price list and policy."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tandem.core import access
from tandem.core.errors import DomainError
from tandem.core.web import guarded
from tandem.sales import pricing, selectors
from tandem.sales.forms import DecisionForm, LineForm, PolicyForm, PriceForm, ProductForm
from tandem.sales.models import DiscountPolicy, DiscountRequest, PriceBookEntry, Product


def _apply(request, form, action, done: str):
    if not form.is_valid():
        messages.error(request, "Not saved: " + form.errors.as_text())
        return
    try:
        action(form.cleaned_data)
        messages.success(request, done)
    except DomainError as exc:
        messages.error(request, exc.message)


@require_POST
@guarded
def line_add(request, pk: int):
    opp = selectors.opportunity_get_for(actor=request.user, id=pk, action=access.WRITE)
    _apply(
        request,
        LineForm(request.POST),
        lambda d: pricing.line_add(actor=request.user, opportunity=opp, **d),
        "Line added.",
    )
    return redirect(opp.get_absolute_url())


@require_POST
@guarded
def decide(request, request_id: int):
    _apply(
        request,
        DecisionForm(request.POST),
        lambda d: pricing.discount_decide(actor=request.user, request_id=request_id, **d),
        "Decision recorded.",
    )
    if request.POST.get("back") == "opportunity":
        req = DiscountRequest.objects.filter(pk=request_id).select_related("opportunity").first()
        if req is not None:
            return redirect(req.opportunity.get_absolute_url())
    return redirect("sales:pricing")


@guarded
def pricing_page(request):
    user = request.user
    if request.method == "POST":
        if request.POST.get("form") == "product":
            _apply(
                request,
                ProductForm(request.POST),
                lambda d: pricing.product_create(actor=user, data=d),
                "Product added with its list price.",
            )
        elif request.POST.get("retire") or request.POST.get("restore"):
            product = get_object_or_404(
                Product, pk=request.POST.get("retire") or request.POST.get("restore")
            )
            active = bool(request.POST.get("restore"))
            pricing.product_update(actor=user, product=product, data={"active": active})
            messages.success(request, f"{product} is {'offered again' if active else 'retired'}.")
        elif "list_price" in request.POST:
            _apply(
                request,
                PriceForm(request.POST),
                lambda d: pricing.list_price_set(
                    actor=user, product=d["product"], price=d["list_price"]
                ),
                "Price saved.",
            )
        else:
            _apply(
                request,
                PolicyForm(request.POST),
                lambda d: pricing.policy_set(
                    actor=user,
                    role=d["role"],
                    family=d["product_family"],
                    max_pct=d["max_discount_pct"],
                ),
                "Policy saved.",
            )
        return redirect("sales:pricing")
    deciders = user.role in pricing.DECIDERS or access.is_admin(user)
    context = {
        "prices": PriceBookEntry.objects.filter(price_book__is_default=True)
        .select_related("product", "price_book")
        .order_by("product__name"),
        "policies": DiscountPolicy.objects.order_by("role", "product_family"),
        "can_edit": pricing.can_edit_prices(user),
        "price_form": PriceForm(),
        "policy_form": PolicyForm(),
        "product_form": ProductForm(),
        "pending": DiscountRequest.objects.filter(status="pending").select_related(
            "line__product", "opportunity", "requested_by"
        )
        if deciders
        else None,
        "overrides": pricing.overrides_report(actor=user)
        if pricing.can_edit_prices(user) or deciders
        else None,
    }
    return render(request, "sales/pricing.html", context)
