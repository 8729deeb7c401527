"""Pickers: search-as-you-type for references, showing only what the user may see, and the deal
form with its contact person and owner, prefilled from the record it was started on."""

import datetime

from tandem.sales.models import Opportunity
from tests import factories as f


def test_a_picker_lists_only_what_the_user_may_see(as_user, world):
    f.organization(owner=world.outsider, name="Owner Rival West")
    rep = as_user(world.owner)
    page = rep.get("/pick/organization/?q=owner").content.decode()
    assert "Owner Org" in page and "Owner Rival West" not in page
    outsider = as_user(world.outsider).get("/pick/organization/?q=owner").content.decode()
    assert "Owner Rival West" in outsider and "Owner Org" not in outsider
    people = as_user(world.owner).get("/pick/person/?q=olive").content.decode()
    assert f'data-value="{world.person.pk}"' in people and "Owner Org" in people  # org as sub-line
    assert "Type two letters" in as_user(world.owner).get("/pick/person/?q=o").content.decode()
    assert as_user(world.owner).get("/pick/nothing/?q=ab").status_code == 404


def test_a_picked_record_the_user_may_not_see_is_refused(as_user, world):
    hidden = f.organization(owner=world.outsider, name="West Only")
    client = as_user(world.owner)
    response = client.post(
        "/sales/opportunities/new",
        {"name": "Sneaky", "organization": hidden.pk, "amount": "10", "currency": "USD",
         "expected_close": "2027-01-31", "channel": "direct_selling",
         "forecast_category": "pipeline"},
    )  # fmt: skip
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Opportunity.objects.filter(name="Sneaky").exists()


def test_a_deal_started_on_a_person_has_them_as_contact(as_user, world):
    client = as_user(world.owner)
    form = client.get(f"/sales/opportunities/new?person={world.person.pk}").content.decode()
    assert 'value="Olive Owned"' in form and 'value="Owner Org"' in form  # both prefilled
    assert f'name="person" value="{world.person.pk}"' in form
    response = client.post(
        "/sales/opportunities/new",
        {"name": "From Olive", "organization": world.org.pk, "person": world.person.pk,
         "amount": "1200", "currency": "USD", "expected_close": "2027-01-31",
         "channel": "direct_selling", "forecast_category": "pipeline"},
    )  # fmt: skip
    assert response.status_code == 302
    deal = Opportunity.objects.get(name="From Olive")
    assert deal.person == world.person and deal.owner == world.owner
    assert deal.expected_close == datetime.date(2027, 1, 31)
    page = client.get(f"/contacts/people/{world.person.pk}/").content.decode()
    assert "From Olive" in page  # shown on the person too


def test_a_rep_may_not_give_a_deal_away_a_manager_may(as_user, world):
    data = {"name": "Given", "organization": world.org.pk, "owner": world.teammate.pk,
            "amount": "5", "currency": "USD", "expected_close": "2027-01-31",
            "channel": "direct_selling", "forecast_category": "pipeline"}  # fmt: skip
    refused = as_user(world.owner).post("/sales/opportunities/new", data)
    assert refused.status_code == 200 and not Opportunity.objects.filter(name="Given").exists()
    assert as_user(world.sales_manager).post("/sales/opportunities/new", data).status_code == 302
    assert Opportunity.objects.get(name="Given").owner == world.teammate


def test_add_person_on_an_organization_prefills_it(as_user, world):
    form = as_user(world.owner).get(f"/contacts/people/new?organization={world.org.pk}")
    assert f'name="organization" value="{world.org.pk}"' in form.content.decode()
    junk = as_user(world.owner).get("/contacts/people/new?organization=99999999999999999999")
    assert junk.status_code == 200


def test_pickers_for_owners_programs_segments_and_products(as_user, world):
    from tandem.sales.models import Product

    f.program(owner=world.marketing_manager, name="Webinar for managers only", channel="event")
    f.segment(owner=world.marketer, name="German webinar guests")
    Product.objects.create(sku="GW-1", name="Gateway", family="Hardware")
    Product.objects.create(sku="GW-0", name="Gateway classic", active=False)
    client = as_user(world.marketer)
    users = client.get("/pick/user/?q=salesboss").content.decode()
    assert f'data-value="{world.sales_manager.pk}"' in users and "Sales manager" in users
    programs = client.get("/pick/program/?q=webinar").content.decode()
    assert "Marketer Webinar" in programs and "Special event" in programs
    segments = client.get("/pick/segment/?q=german").content.decode()
    assert "German webinar guests" in segments
    products = as_user(world.owner).get("/pick/product/?q=gw").content.decode()
    assert "Gateway" in products and "Gateway classic" not in products  # inactive left out


def test_create_from_a_picker_goes_through_the_service_and_its_rights(as_user, world):
    from tandem.contacts.models import Organization, Person

    client = as_user(world.owner)
    offered = client.get("/pick/organization/?q=Zeta Labs").content.decode()
    assert "Create “Zeta Labs”" in offered
    made = client.post("/pick/organization/new", {"q": "Zeta Labs"}).content.decode()
    org = Organization.objects.get(name="Zeta Labs")
    assert org.owner == world.owner  # a rep's new record is the rep's, as every door makes it
    assert f'data-value="{org.pk}"' in made and "data-just-created" in made
    again = client.post("/pick/person/new", {"q": "Zoe Quinn"})
    assert Person.objects.filter(first_name="Zoe", last_name="Quinn", owner=world.owner).exists()
    assert again.status_code == 200
    assert client.post("/pick/program/new", {"q": "Nope"}).status_code == 404
    assert client.post("/pick/person/new", {"q": "x"}).status_code == 400
