from datetime import datetime
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from tandem.core import access
from tandem.core.api_support import Id, PathId
from tandem.core.errors import Forbidden, Invalid, NotFound
from tandem.sales import pricing, selectors
from tandem.sales.models import (
    DiscountPolicy,
    DiscountRequest,
    PriceBook,
    PriceBookEntry,
    Product,
)

router = Router(tags=["pricing"])


class LineIn(Schema):
    product_id: Id
    quantity: int = Field(1, ge=1, le=1_000_000)
    unit_price: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)
    reason: str = Field("", max_length=500)


class LineOut(Schema):
    id: int
    opportunity_id: int
    product_id: int
    quantity: int
    list_price: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    approval: str


class DecisionIn(Schema):
    approve: bool
    comment: str = Field("", max_length=500)


class RequestOut(Schema):
    id: int
    opportunity_id: int
    line_id: int
    requested_by_id: int
    requested_at: datetime
    discount_pct: Decimal
    allowed_pct: Decimal
    reason: str
    status: str
    decided_by_id: int | None
    decided_at: datetime | None
    comment: str


class PriceIn(Schema):
    list_price: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)


class PriceOut(Schema):
    product_id: int
    sku: str = Field(..., alias="product.sku")
    list_price: Decimal


class PolicyIn(Schema):
    role: str
    product_family: str = Field("", max_length=100)
    max_discount_pct: Decimal = Field(..., ge=0, le=100, max_digits=5, decimal_places=2)


class PolicyOut(Schema):
    role: str
    product_family: str
    max_discount_pct: Decimal


def _product(product_id: int) -> Product:
    product = Product.objects.filter(pk=product_id, active=True).first()
    if product is None:
        raise Invalid("No such product.", field="product_id")
    return product


@router.post("/opportunities/{opp_id}/lines", response={201: LineOut})
def add_line(request, opp_id: PathId, payload: LineIn):
    opp = selectors.opportunity_get_for(actor=request.user, id=opp_id, action=access.WRITE)
    line = pricing.line_add(
        actor=request.user,
        via="api",
        opportunity=opp,
        product=_product(payload.product_id),
        quantity=payload.quantity,
        unit_price=payload.unit_price,
        reason=payload.reason,
    )
    return Status(201, line)


@router.get("/discount-requests", response=list[RequestOut])
def list_requests(request, status: str = "pending"):
    """For sales managers and marketing: discount requests by status (pending by default)."""
    user = request.user
    if not (pricing.can_edit_prices(user) or user.role in pricing.DECIDERS):
        raise Forbidden()
    return list(DiscountRequest.objects.filter(status=status).order_by("requested_at")[:500])


@router.post("/discount-requests/{request_id}/decision", response=RequestOut)
def decide(request, request_id: PathId, payload: DecisionIn):
    return pricing.discount_decide(
        actor=request.user,
        via="api",
        request_id=request_id,
        approve=payload.approve,
        comment=payload.comment,
    )


@router.get("/prices", response=list[PriceOut])
def list_prices(request):
    return list(
        PriceBookEntry.objects.filter(price_book__is_default=True).select_related("product")
    )


@router.put("/prices/{product_id}", response=PriceOut)
def set_price(request, product_id: PathId, payload: PriceIn):
    return pricing.list_price_set(
        actor=request.user, via="api", product=_product(product_id), price=payload.list_price
    )


class ProductIn(Schema):
    sku: str = Field(..., min_length=1, max_length=50)
    name: str = Field(..., min_length=1, max_length=200)
    family: str = Field("", max_length=100)
    list_price: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)


class ProductPatch(Schema):
    name: str = Field(None, min_length=1, max_length=200)
    family: str = Field(None, max_length=100)
    active: bool = None


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    family: str
    active: bool


@router.get("/products", response=list[ProductOut], summary="List products")
def list_products(request, active: bool | None = None):
    products = Product.objects.order_by("name")
    return list(products if active is None else products.filter(active=active))


@router.post("/products", response={201: ProductOut}, summary="Add a product with its list price")
def create_product(request, payload: ProductIn):
    return 201, pricing.product_create(actor=request.user, via="api", data=payload.dict())


@router.patch("/products/{product_id}", response=ProductOut)
def update_product(request, product_id: PathId, payload: ProductPatch):
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound("No such product.")
    data = payload.dict(exclude_unset=True)
    return pricing.product_update(actor=request.user, via="api", product=product, data=data)


class PriceBookIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    currency: str = Field(..., pattern=r"^[A-Z]{3}$")


class PriceBookOut(Schema):
    id: int
    name: str
    currency: str
    is_default: bool


class BookPriceOut(Schema):
    product_id: int
    list_price: Decimal


def _book(book_id: int) -> PriceBook:
    book = PriceBook.objects.filter(pk=book_id).first()
    if book is None:
        raise NotFound("No such price book.")
    return book


@router.get("/price-books", response=list[PriceBookOut], summary="Price books")
def list_price_books(request):
    return list(PriceBook.objects.order_by("-is_default", "name"))


@router.post("/price-books", response={201: PriceBookOut}, summary="Add a price book")
def create_price_book(request, payload: PriceBookIn):
    """The first one is the default, which deals use. Marketing."""
    return 201, pricing.price_book_create(actor=request.user, via="api", **payload.dict())


@router.post("/price-books/{book_id}/default", response=PriceBookOut)
def make_default_price_book(request, book_id: PathId):
    return pricing.price_book_make_default(actor=request.user, via="api", book=_book(book_id))


@router.get("/price-books/{book_id}/prices", response=list[BookPriceOut])
def list_book_prices(request, book_id: PathId):
    return list(PriceBookEntry.objects.filter(price_book=_book(book_id)).order_by("product_id"))


@router.put("/price-books/{book_id}/prices/{product_id}", response=BookPriceOut)
def set_book_price(request, book_id: PathId, product_id: PathId, payload: PriceIn):
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound("No such product.")
    return pricing.book_price_set(actor=request.user, via="api", book=_book(book_id),
                                  product=product, price=payload.list_price)  # fmt: skip


@router.get("/discount-policies", response=list[PolicyOut])
def list_policies(request):
    return list(DiscountPolicy.objects.order_by("role", "product_family"))


@router.put("/discount-policies", response=PolicyOut)
def set_policy(request, payload: PolicyIn):
    return pricing.policy_set(
        actor=request.user,
        via="api",
        role=payload.role,
        family=payload.product_family,
        max_pct=payload.max_discount_pct,
    )
