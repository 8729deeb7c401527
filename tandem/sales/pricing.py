"""The price policy: marketing owns list prices and the discount each role may give; a line
beyond that, or given away at zero, waits for a sales manager; a deal cannot close won with
such a line unapproved, on any path."""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count
from django.utils import timezone

from tandem.core import access, activity
from tandem.core.errors import Conflict, Forbidden, Invalid, NotFound
from tandem.core.roles import MARKETING_ROLES, Role
from tandem.sales.models import (
    Approval,
    DiscountPolicy,
    DiscountRequest,
    Opportunity,
    OpportunityLine,
    PriceBook,
    PriceBookEntry,
    Product,
)

DECIDERS = (Role.SALES_MANAGER, Role.ADMIN)
CLEARED = (Approval.IN_POLICY, Approval.APPROVED)


def can_edit_prices(actor) -> bool:
    return access.is_admin(actor) or actor.role in MARKETING_ROLES


def allowed_discount(*, role: str, family: str) -> Decimal:
    """The most a role may discount a product family: its own rule, else the role's default."""
    rules = dict(
        DiscountPolicy.objects.filter(role=role, product_family__in=(family, "")).values_list(
            "product_family", "max_discount_pct"
        )
    )
    return rules.get(family, rules.get("", Decimal("0")))


def list_price(*, product: Product) -> Decimal:
    entry = PriceBookEntry.objects.filter(price_book__is_default=True, product=product).first()
    if entry is None:
        raise Invalid(f"{product} has no list price in the default price book.", field="product")
    return entry.list_price


def _refresh_amount(opp: Opportunity) -> None:
    total = sum((line.unit_price * line.quantity for line in opp.lines.all()), start=Decimal("0"))
    Opportunity.objects.filter(pk=opp.pk).update(amount=total, updated_at=timezone.now())


@transaction.atomic
def line_add(
    *,
    actor,
    via: str = "ui",
    opportunity: Opportunity,
    product: Product,
    quantity: int,
    unit_price: Decimal,
    reason: str = "",
) -> OpportunityLine:
    if quantity < 1:
        raise Invalid("Quantity must be at least 1.", field="quantity")
    if unit_price < 0:
        raise Invalid("The price cannot be negative.", field="unit_price")
    price = list_price(product=product)
    line = OpportunityLine.objects.create(
        opportunity=opportunity,
        product=product,
        quantity=quantity,
        list_price=price,
        unit_price=unit_price,
    )
    allowed = allowed_discount(role=actor.role, family=product.family)
    summary = f"{quantity} × {product} at {unit_price} (list {price})"
    if unit_price == 0 or line.discount_pct > allowed:
        line.approval = Approval.PENDING
        line.save(update_fields=["approval"])
        DiscountRequest.objects.create(
            line=line,
            opportunity=opportunity,
            requested_by=actor,
            discount_pct=line.discount_pct,
            allowed_pct=allowed,
            reason=reason[:500],
        )
        summary += f": {line.discount_pct}% off, beyond the {allowed}% allowed; approval requested"
    _refresh_amount(opportunity)
    activity.record(
        actor=actor, via=via, verb="line_added", target=opportunity, summary=summary[:300]
    )
    return line


@transaction.atomic
def discount_decide(
    *, actor, via: str = "ui", request_id: int, approve: bool, comment: str = ""
) -> DiscountRequest:
    if actor.role not in DECIDERS and not access.is_admin(actor):
        raise Forbidden("Only a sales manager decides discount requests.")
    req = (
        DiscountRequest.objects.select_for_update()
        .select_related("line", "opportunity")
        .filter(pk=request_id)
        .first()
    )
    if req is None:
        raise NotFound()
    if req.status != Approval.PENDING:
        raise Invalid("This request was already decided.", field="status")
    if not approve and not comment.strip():
        raise Invalid("Say why the discount is rejected.", field="comment")
    req.status = Approval.APPROVED if approve else Approval.REJECTED
    req.decided_by, req.decided_at, req.comment = actor, timezone.now(), comment[:500]
    req.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    req.line.approval = req.status
    req.line.save(update_fields=["approval"])
    verb = "discount_approved" if approve else "discount_rejected"
    activity.record(
        actor=actor,
        via=via,
        verb=verb,
        target=req.opportunity,
        summary=f"{req.line.product}: {req.discount_pct}% · {comment}"[:300],
    )
    return req


def check_can_close_won(opp: Opportunity) -> None:
    blocked = opp.lines.exclude(approval__in=CLEARED).select_related("product")
    if blocked.exists():
        names = ", ".join(str(line.product) for line in blocked)
        raise Invalid(
            f"Cannot close won: out-of-policy price not approved ({names}).", field="stage"
        )


@transaction.atomic
def list_price_set(*, actor, via: str = "ui", product: Product, price: Decimal) -> PriceBookEntry:
    if not can_edit_prices(actor):
        raise Forbidden("Marketing owns list prices.")
    if price < 0:
        raise Invalid("A list price cannot be negative.", field="list_price")
    book = default_book()
    entry, _ = PriceBookEntry.objects.get_or_create(price_book=book, product=product)
    old = entry.list_price
    entry.list_price = price
    entry.save(update_fields=["list_price"])
    activity.record(
        actor=actor,
        via=via,
        verb="price_changed",
        target=product,
        changes={"list_price": [str(old), str(price)]},
    )
    return entry


@transaction.atomic
def policy_set(*, actor, via: str = "ui", role: str, family: str, max_pct: Decimal):
    if not can_edit_prices(actor):
        raise Forbidden("Marketing owns the discount policy.")
    if role not in (Role.SALES_REP, Role.SALES_MANAGER):
        raise Invalid("Policies apply to sales roles.", field="role")
    if not Decimal("0") <= max_pct <= Decimal("100"):
        raise Invalid("The maximum discount is 0 to 100 percent.", field="max_discount_pct")
    policy, _ = DiscountPolicy.objects.update_or_create(
        role=role, product_family=family.strip(), defaults={"max_discount_pct": max_pct}
    )
    activity.record(
        actor=actor,
        via=via,
        verb="policy_changed",
        target=policy,
        summary=f"{role} · {family or 'all families'} · up to {max_pct}%",
    )
    return policy


def overrides_report(*, actor):
    """For marketing: the out-of-policy requests by rep and product."""
    if not (can_edit_prices(actor) or actor.role in DECIDERS):
        raise Forbidden()
    return (
        DiscountRequest.objects.values(
            "requested_by__username",
            "requested_by__first_name",
            "requested_by__last_name",
            "line__product__name",
            "status",
        )
        .annotate(count=Count("id"), average_pct=Avg("discount_pct"))
        .order_by("requested_by__username", "line__product__name", "status")
    )


# --- products: marketing's catalogue -------------------------------------------------------

DEFAULT_BOOK = "Standard"


def default_book() -> PriceBook:
    """The price book list prices live in; a fresh workspace gets one with its first product."""
    book = PriceBook.objects.filter(is_default=True).first()
    if book is None:
        book, _ = PriceBook.objects.get_or_create(
            name=DEFAULT_BOOK, defaults={"currency": settings.TANDEM_DEFAULT_CURRENCY}
        )
        book.is_default = True
        book.save(update_fields=["is_default"])
    return book


@transaction.atomic
def product_create(*, actor, via: str = "ui", data: dict) -> Product:
    """A product with its list price in the default price book."""
    if not can_edit_prices(actor):
        raise Forbidden("Marketing owns the catalogue and its prices.")
    sku, name = (data.get("sku") or "").strip(), (data.get("name") or "").strip()
    if not sku or len(sku) > 50:
        raise Invalid("A product needs a SKU of at most 50 characters.", field="sku")
    if not name or len(name) > 200:
        raise Invalid("A product needs a name of at most 200 characters.", field="name")
    price = data.get("list_price")
    if price is None or price < 0:
        raise Invalid("A list price is zero or more.", field="list_price")
    if Product.objects.filter(sku__iexact=sku).exists():
        raise Conflict(f"There is already a product with the SKU {sku}.", field="sku")
    family = (data.get("family") or "").strip()[:100]
    product = Product.objects.create(sku=sku, name=name, family=family)
    PriceBookEntry.objects.create(price_book=default_book(), product=product, list_price=price)
    activity.record(actor=actor, via=via, verb="created", target=product, summary=name)
    return product


@transaction.atomic
def product_update(*, actor, via: str = "ui", product: Product, data: dict) -> Product:
    """Rename, move to a family, retire (inactive: offered on no new line) or bring back."""
    if not can_edit_prices(actor):
        raise Forbidden("Marketing owns the catalogue and its prices.")
    data = {k: v for k, v in data.items() if k in ("name", "family", "active")}
    if "name" in data and not (data["name"] or "").strip():
        raise Invalid("A product needs a name.", field="name")
    changes = activity.apply_changes(product, data)
    if changes:
        product.save()
        activity.record(actor=actor, via=via, verb="updated", target=product, changes=changes)
    return product


@transaction.atomic
def price_book_create(*, actor, via: str = "ui", name: str, currency: str) -> PriceBook:
    """Another list of prices (a region's, a partner's); the default one is what deals use."""
    if not can_edit_prices(actor):
        raise Forbidden("Marketing owns the price books.")
    name, currency = (name or "").strip(), (currency or "").strip().upper()
    if not name or len(name) > 100:
        raise Invalid("A price book needs a name of 1 to 100 characters.", field="name")
    if len(currency) != 3 or not currency.isalpha():
        raise Invalid("A currency is three letters, like EUR.", field="currency")
    if PriceBook.objects.filter(name__iexact=name).exists():
        raise Conflict("There is a price book of that name.", field="name")
    book = PriceBook.objects.create(
        name=name, currency=currency, is_default=not PriceBook.objects.exists()
    )
    activity.record(actor=actor, via=via, verb="created", target=book, summary=name)
    return book


@transaction.atomic
def price_book_make_default(*, actor, via: str = "ui", book: PriceBook) -> PriceBook:
    if not can_edit_prices(actor):
        raise Forbidden("Marketing owns the price books.")
    PriceBook.objects.exclude(pk=book.pk).update(is_default=False)
    book.is_default = True
    book.save(update_fields=["is_default"])
    activity.record(actor=actor, via=via, verb="made_default", target=book, summary=book.name)
    return book


@transaction.atomic
def book_price_set(*, actor, via: str = "ui", book: PriceBook, product: Product, price):
    """A product's price in one price book."""
    if not can_edit_prices(actor):
        raise Forbidden("Marketing owns list prices.")
    if price < 0:
        raise Invalid("A list price cannot be negative.", field="list_price")
    entry, _ = PriceBookEntry.objects.update_or_create(
        price_book=book, product=product, defaults={"list_price": price}
    )
    activity.record(actor=actor, via=via, verb="price_changed", target=product,
                    changes={"list_price": ["", f"{price} in {book.name}"]})  # fmt: skip
    return entry
