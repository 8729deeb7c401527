"""The price policy on every path: service, UI, API, board; approvals; who may set prices."""

from decimal import Decimal

import pytest

from tandem.core.errors import Forbidden, Invalid
from tandem.core.models import TimelineEntry
from tandem.sales import pricing, services
from tandem.sales.models import (
    DiscountPolicy,
    DiscountRequest,
    LossReason,
    PriceBook,
    PriceBookEntry,
    Product,
    Stage,
)

JSON = "application/json"


@pytest.fixture
def catalog(world):
    book = PriceBook.objects.create(name="List", is_default=True)
    core = Product.objects.create(sku="CORE", name="Core seats", family="Subscription")
    onboarding = Product.objects.create(sku="ONB", name="Onboarding", family="Services")
    PriceBookEntry.objects.create(price_book=book, product=core, list_price=Decimal("1000"))
    PriceBookEntry.objects.create(price_book=book, product=onboarding, list_price=Decimal("3000"))
    for role, family, pct in (
        ("sales_rep", "", 10),
        ("sales_rep", "Services", 20),
        ("sales_manager", "", 25),
    ):
        DiscountPolicy.objects.create(role=role, product_family=family, max_discount_pct=pct)
    return {"core": core, "onboarding": onboarding}


def add(world, catalog, price, product="core", actor=None, qty=2):
    return pricing.line_add(
        actor=actor or world.owner,
        opportunity=world.opportunity,
        product=catalog[product],
        quantity=qty,
        unit_price=Decimal(price),
        reason="Competitive deal",
    )


@pytest.mark.parametrize(
    ("product", "price", "actor", "approval"),
    [
        ("core", "950", "owner", "in_policy"),
        ("core", "900", "owner", "in_policy"),  # exactly the 10% allowed
        ("core", "850", "owner", "pending"),
        ("onboarding", "2550", "owner", "in_policy"),  # Services allow 20%
        ("onboarding", "2300", "owner", "pending"),
        ("core", "0", "owner", "pending"),  # a give-away always needs approval
        ("core", "800", "sales_manager", "in_policy"),
        ("core", "700", "sales_manager", "pending"),
    ],
)
def test_lines_are_checked_against_the_policy(world, catalog, product, price, actor, approval):
    line = add(world, catalog, price, product, actor=getattr(world, actor))
    assert line.approval == approval
    assert DiscountRequest.objects.filter(line=line).exists() is (approval == "pending")
    world.opportunity.refresh_from_db()
    assert world.opportunity.amount == Decimal(price) * 2
    assert (
        TimelineEntry.objects.filter(target_id=world.opportunity.pk, verb="line_added").count() == 1
    )


def _won():
    return Stage.objects.get(name="Closed won")


def _stage_of(opp):
    opp.refresh_from_db()
    return opp.stage.name, opp.closed_at, opp.stage_history.count()


def test_cannot_close_won_with_an_unapproved_line_on_any_path(world, catalog, as_user):
    add(world, catalog, "500")
    before = _stage_of(world.opportunity)
    with pytest.raises(Invalid):
        services.opportunity_move(actor=world.owner, opportunity=world.opportunity, stage=_won())
    client = as_user(world.owner)
    url = f"/sales/opportunities/{world.opportunity.pk}/move"
    page = client.post(url, {"stage": _won().pk}, follow=True).content.decode()
    assert "Cannot close won: out-of-policy price not approved (Core seats)." in page
    board = client.post(url, {"stage": _won().pk, "from": "board"}, HTTP_HX_REQUEST="true")
    assert (
        'data-testid="board-error"' in board.content.decode()
        and "Cannot close won" in board.content.decode()
    )
    api = client.patch(
        f"/api/opportunities/{world.opportunity.pk}", {"stage_id": _won().pk}, content_type=JSON
    )
    assert api.status_code == 422
    assert _stage_of(world.opportunity) == before


def test_approval_unblocks_and_rejection_does_not(world, catalog, as_user):
    line = add(world, catalog, "500")
    req = DiscountRequest.objects.get(line=line)
    with pytest.raises(Invalid):
        pricing.discount_decide(actor=world.sales_manager, request_id=req.pk, approve=False)
    pricing.discount_decide(
        actor=world.sales_manager, request_id=req.pk, approve=False, comment="Too deep"
    )
    with pytest.raises(Invalid):
        services.opportunity_move(actor=world.owner, opportunity=world.opportunity, stage=_won())
    second = add(world, catalog, "600")
    response = as_user(world.sales_manager).post(
        f"/api/discount-requests/{second.requests.get().pk}/decision",
        {"approve": True, "comment": "ok"},
        content_type=JSON,
    )
    assert response.status_code == 200 and response.json()["status"] == "approved"
    line.delete()  # the rejected line goes; the approved one stays
    services.opportunity_move(actor=world.owner, opportunity=world.opportunity, stage=_won())
    assert _stage_of(world.opportunity)[0] == "Closed won"
    verbs = set(
        TimelineEntry.objects.filter(target_id=world.opportunity.pk).values_list("verb", flat=True)
    )
    assert {"line_added", "discount_rejected", "discount_approved", "stage_changed"} <= verbs


@pytest.mark.parametrize("who", ["owner", "teammate", "marketer", "marketing_manager"])
def test_only_sales_managers_decide(world, catalog, as_user, who):
    req = add(world, catalog, "500").requests.get()
    response = as_user(getattr(world, who)).post(
        f"/api/discount-requests/{req.pk}/decision", {"approve": True}, content_type=JSON
    )
    assert response.status_code == 403
    req.refresh_from_db()
    assert req.status == "pending"


def test_decision_from_the_opportunity_page(world, catalog, as_user):
    req = add(world, catalog, "500").requests.get()
    client = as_user(world.sales_manager)
    html = client.get(f"/sales/opportunities/{world.opportunity.pk}/").content.decode()
    assert "Waiting for approval" in html and "allowed 10%" in html
    client.post(
        f"/sales/discounts/{req.pk}/decide",
        {"approve": "1", "comment": "Strategic", "back": "opportunity"},
    )
    req.refresh_from_db()
    assert (req.status, req.decided_by, req.comment) == (
        "approved",
        world.sales_manager,
        "Strategic",
    )


def test_line_added_in_the_ui(world, catalog, as_user):
    as_user(world.owner).post(
        f"/sales/opportunities/{world.opportunity.pk}/lines",
        {"product": catalog["core"].pk, "quantity": 3, "unit_price": "850", "reason": "Multi-year"},
    )
    line = world.opportunity.lines.get()
    assert (line.quantity, line.approval, line.requests.get().reason) == (
        3,
        "pending",
        "Multi-year",
    )


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("marketer", True),
        ("marketing_manager", True),
        ("admin", True),
        ("owner", False),
        ("sales_manager", False),
    ],
)
def test_marketing_owns_prices_and_policy(world, catalog, as_user, who, allowed):
    client = as_user(getattr(world, who))
    price = client.put(
        f"/api/prices/{catalog['core'].pk}", {"list_price": "1100"}, content_type=JSON
    )
    policy = client.put(
        "/api/discount-policies",
        {"role": "sales_rep", "product_family": "", "max_discount_pct": "15"},
        content_type=JSON,
    )
    ui = client.post("/sales/pricing/", {"product": catalog["onboarding"].pk, "list_price": "3300"})
    assert ui.status_code == 302
    expected = 200 if allowed else 403
    assert (price.status_code, policy.status_code) == (expected, expected)
    prices = dict(PriceBookEntry.objects.values_list("product__sku", "list_price"))
    rep_limit = DiscountPolicy.objects.get(role="sales_rep", product_family="").max_discount_pct
    if allowed:
        assert prices == {"CORE": Decimal("1100"), "ONB": Decimal("3300")} and rep_limit == 15
    else:
        assert prices == {"CORE": Decimal("1000"), "ONB": Decimal("3000")} and rep_limit == 10


def test_policy_rejects_bad_values(world, catalog):
    with pytest.raises(Invalid):
        pricing.policy_set(actor=world.marketer, role="marketer", family="", max_pct=Decimal("5"))
    with pytest.raises(Forbidden):
        pricing.list_price_set(actor=world.owner, product=catalog["core"], price=Decimal("1"))


def test_overrides_report_for_marketing(world, catalog, as_user):
    add(world, catalog, "500")
    add(world, catalog, "0", product="onboarding")
    html = as_user(world.marketing_manager).get("/sales/pricing/").content.decode()
    report = html.split('data-testid="overrides"')[1]
    assert "Core seats" in report and "Onboarding" in report and "Sales_Rep" in report
    assert (
        as_user(world.marketing_manager).get("/api/discount-requests").json()[0]["reason"]
        == "Competitive deal"
    )
    assert as_user(world.owner).get("/api/discount-requests").status_code == 403


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 201),
        ("teammate", 403),
        ("outsider", 404),
        ("sales_manager", 201),
        ("marketer", 404),
        ("marketing_manager", 403),
        ("admin", 201),
    ],
)
def test_who_may_add_lines(world, catalog, as_user, who, status):
    response = as_user(getattr(world, who)).post(
        f"/api/opportunities/{world.opportunity.pk}/lines",
        {"product_id": catalog["core"].pk, "quantity": 1, "unit_price": "990"},
        content_type=JSON,
    )
    assert response.status_code == status
    assert world.opportunity.lines.count() == (1 if status == 201 else 0)


def test_bulk_move_applies_the_same_rules(world, catalog, as_user):
    from tests import factories as f

    clean = f.opportunity(world.owner, name="Clean deal")
    others = f.opportunity(world.outsider, name="Not mine")
    add(world, catalog, "500")  # world.opportunity now has an unapproved line
    client = as_user(world.owner)
    ids = [world.opportunity.pk, clean.pk, others.pk]
    response = client.post(
        "/api/opportunities/bulk-move", {"ids": ids, "stage_id": _won().pk}, content_type=JSON
    )
    body = response.json()
    assert body["moved"] == [clean.pk]
    assert set(body["failed"]) == {str(world.opportunity.pk), str(others.pk)}
    assert "out-of-policy" in body["failed"][str(world.opportunity.pk)]
    assert _stage_of(world.opportunity)[0] == "Qualify" and _stage_of(others)[0] == "Qualify"
    assert _stage_of(clean)[0] == "Closed won"


def test_bulk_move_in_the_ui(world, catalog, as_user):
    from tests import factories as f

    a, b = f.opportunity(world.owner, name="A"), f.opportunity(world.owner, name="B")
    lost = Stage.objects.get(name="Closed lost")
    client = as_user(world.owner)
    page = client.post(
        "/sales/opportunities/bulk", {"ids": [a.pk, b.pk], "stage": lost.pk}, follow=True
    )
    assert "Closing lost needs a loss reason." in page.content.decode()
    assert _stage_of(a)[0] == _stage_of(b)[0] == "Qualify"
    reason = LossReason.objects.get_or_create(name="No budget")[0]
    page = client.post(
        "/sales/opportunities/bulk",
        {"ids": [a.pk, b.pk], "stage": lost.pk, "loss_reason": reason.pk},
        follow=True,
    )
    assert "Moved 2 of 2 to Closed lost." in page.content.decode()
    assert _stage_of(a)[0] == _stage_of(b)[0] == "Closed lost"


def test_marketing_keeps_the_catalogue_in_the_app_and_the_api(world, as_user):
    """A fresh workspace has no price book: the first product makes the default one; sales may
    not touch the catalogue; a retired product is offered on no new line."""
    from tandem.sales.models import PriceBook, PriceBookEntry, Product

    assert not PriceBook.objects.exists()
    client = as_user(world.marketer)
    client.post("/sales/pricing/", {"form": "product", "sku": "GW-1", "name": "Gateway",
                                    "family": "Hardware", "list_price": "1200"})  # fmt: skip
    gateway = Product.objects.get(sku="GW-1")
    entry = PriceBookEntry.objects.get(product=gateway)
    assert entry.list_price == 1200 and entry.price_book.is_default
    again = client.post("/api/products", {"sku": "gw-1", "name": "Twice", "list_price": "1"},
                        content_type="application/json")  # fmt: skip
    assert again.status_code == 409
    rep = as_user(world.owner)
    refused = rep.post("/api/products", {"sku": "X", "name": "Mine", "list_price": "1"},
                       content_type="application/json")  # fmt: skip
    assert refused.status_code == 403 and not Product.objects.filter(sku="X").exists()
    client = as_user(world.marketer)
    client.post("/sales/pricing/", {"retire": gateway.pk})
    gateway.refresh_from_db()
    assert not gateway.active
    assert "Gateway" not in as_user(world.owner).get("/pick/product/?q=gate").content.decode()
    client = as_user(world.marketer)
    back = client.patch(f"/api/products/{gateway.pk}", {"active": True},
                        content_type="application/json")  # fmt: skip
    assert back.status_code == 200 and back.json()["active"] is True


def test_price_books_in_the_api(world, as_user):
    from tandem.sales.models import PriceBook, PriceBookEntry, Product

    client = as_user(world.marketer)
    us = client.post("/api/price-books", {"name": "US", "currency": "USD"},
                     content_type="application/json").json()  # fmt: skip
    eu = client.post("/api/price-books", {"name": "Europe", "currency": "EUR"},
                     content_type="application/json").json()  # fmt: skip
    assert us["is_default"] and not eu["is_default"]
    product = Product.objects.create(sku="P-1", name="Plan")
    put = client.put(f"/api/price-books/{eu['id']}/prices/{product.pk}", {"list_price": "90"},
                     content_type="application/json")  # fmt: skip
    assert put.status_code == 200
    assert PriceBookEntry.objects.get(price_book_id=eu["id"], product=product).list_price == 90
    client.post(f"/api/price-books/{eu['id']}/default")
    assert PriceBook.objects.get(is_default=True).name == "Europe"
    rep = as_user(world.owner)
    assert rep.post("/api/price-books", {"name": "Mine", "currency": "USD"},
                    content_type="application/json").status_code == 403  # fmt: skip
    assert [b["name"] for b in rep.get("/api/price-books").json()] == ["Europe", "US"]
