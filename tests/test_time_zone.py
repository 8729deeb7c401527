"""Each user reads dates and times in their own time zone, chosen on their account page or by
API; blank means the workspace's."""

from tandem.accounts.models import User

JSON = "application/json"


def _shown_zone(client, person) -> str:
    html = client.get(f"/contacts/people/{person.pk}/").content.decode()
    marker = 'title="'
    start = html.index(marker, html.index("<time datetime=")) + len(marker)
    return html[start : html.index('"', start)]


def test_the_account_page_sets_the_zone_times_are_shown_in(world, as_user, settings):
    settings.TIME_ZONE = "UTC"
    client = as_user(world.owner)
    assert _shown_zone(client, world.person).endswith("UTC")
    response = client.post("/accounts/me/preferences", {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert User.objects.get(pk=world.owner.pk).time_zone == "Asia/Tokyo"
    assert _shown_zone(client, world.person).endswith("JST")
    # a colleague still reads the workspace's zone
    assert _shown_zone(as_user(world.teammate), world.person).endswith("UTC")


def test_an_unknown_zone_is_refused_on_the_page(world, as_user):
    client = as_user(world.owner)
    response = client.post("/accounts/me/preferences", {"time_zone": "Mars/Olympus"}, follow=True)
    assert "Choose a time zone from the list." in response.content.decode()
    assert User.objects.get(pk=world.owner.pk).time_zone == ""


def test_the_api_reads_and_changes_ones_own_zone(world, as_user):
    client = as_user(world.marketer)
    me = client.get("/api/me").json()
    assert (me["username"], me["time_zone"]) == (world.marketer.username, "")
    changed = client.patch("/api/me", {"time_zone": "Europe/Paris"}, content_type=JSON)
    assert changed.status_code == 200 and changed.json()["time_zone"] == "Europe/Paris"
    refused = client.patch("/api/me", {"time_zone": "Nowhere/Land"}, content_type=JSON)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "time_zone"
    back = client.patch("/api/me", {"time_zone": ""}, content_type=JSON)
    assert back.json()["time_zone"] == ""
