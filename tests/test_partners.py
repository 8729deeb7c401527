"""Partners, deal registration and channel conflicts."""

import pytest

from tandem.core.models import TimelineEntry
from tandem.sales.models import Partner, Stage
from tests import factories as f

JSON = "application/json"


@pytest.fixture
def resellers(world):
    a = Partner.objects.create(
        organization=f.organization(name="Alpha Resell"), kind="reseller", tier="gold"
    )
    b = Partner.objects.create(
        organization=f.organization(name="Beta Affiliates"), kind="affiliate"
    )
    return a, b


def test_registration_sets_the_channel_and_flags_conflicts(world, resellers, as_user):
    alpha, beta = resellers
    rival_deal = f.opportunity(world.teammate, organization=world.org, name="Rival registration")
    client = as_user(world.teammate)
    first = client.put(
        f"/api/opportunities/{rival_deal.pk}/registration",
        {"partner_id": beta.pk},
        content_type=JSON,
    )
    assert first.json() == {
        "opportunity_id": rival_deal.pk,
        "partner_id": beta.pk,
        "channel": "partner",
        "conflicts": [],
    }
    second = as_user(world.owner).put(
        f"/api/opportunities/{world.opportunity.pk}/registration",
        {"partner_id": alpha.pk},
        content_type=JSON,
    )
    assert second.json()["conflicts"] == [rival_deal.pk]
    entry = TimelineEntry.objects.filter(
        target_id=world.opportunity.pk, verb="deal_registered"
    ).get()
    assert "conflicts with Beta Affiliates" in entry.summary
    html = (
        as_user(world.owner).get(f"/sales/opportunities/{world.opportunity.pk}/").content.decode()
    )
    assert 'data-testid="conflict"' in html and "Rival registration" in html
    manager = as_user(world.sales_manager).get("/sales/partners/").content.decode()
    assert "Owner Deal" in manager.split('data-testid="conflicts"')[1]
    removed = (
        as_user(world.owner)
        .put(
            f"/api/opportunities/{world.opportunity.pk}/registration",
            {"partner_id": None},
            content_type=JSON,
        )
        .json()
    )
    assert (removed["partner_id"], removed["channel"], removed["conflicts"]) == (
        None,
        "direct_selling",
        [],
    )


def test_one_partner_per_deal_and_only_open_deals(world, resellers, as_user):
    alpha, beta = resellers
    client = as_user(world.owner)
    url = f"/sales/opportunities/{world.opportunity.pk}/registration"
    client.post(url, {"partner": alpha.pk})
    client.post(url, {"partner": beta.pk})
    world.opportunity.refresh_from_db()
    assert world.opportunity.partner == beta  # re-registering replaces; never two
    world.opportunity.stage = Stage.objects.get(name="Closed won")
    world.opportunity.save()
    response = client.put(
        f"/api/opportunities/{world.opportunity.pk}/registration",
        {"partner_id": alpha.pk},
        content_type=JSON,
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "who", ["owner", "teammate", "outsider", "sales_manager", "marketer", "admin"]
)
def test_registration_needs_write_access(world, resellers, as_user, who):
    """Everyone but the owner, the manager and the admin is refused; they may write."""
    alpha, _ = resellers
    url = f"/api/opportunities/{world.opportunity.pk}/registration"
    response = as_user(getattr(world, who)).put(url, {"partner_id": alpha.pk}, content_type=JSON)
    world.opportunity.refresh_from_db()
    if who in ("owner", "sales_manager", "admin"):
        assert response.status_code == 200 and world.opportunity.partner == alpha
    else:
        assert response.status_code in (403, 404) and world.opportunity.partner is None


@pytest.mark.parametrize(
    ("who", "created"),
    [("sales_manager", True), ("admin", True), ("owner", False), ("marketer", False)],
)
def test_only_managers_sign_partners(world, as_user, who, created):
    org = f.organization(owner=world.owner, name="New Partner Co")
    client = as_user(getattr(world, who))
    response = client.post(
        "/api/partners", {"organization_id": org.pk, "kind": "referral"}, content_type=JSON
    )
    assert Partner.objects.filter(organization=org).exists() is created
    assert response.status_code in ((201,) if created else (403, 422))
    again = client.post(
        "/api/partners", {"organization_id": org.pk, "kind": "referral"}, content_type=JSON
    )
    assert Partner.objects.filter(organization=org).count() == (1 if created else 0)
    assert again.status_code in (403, 409, 422)
