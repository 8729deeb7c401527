"""ETag and If-Match: two editors do not overwrite each other (412), on people, organizations
and deals; a write without If-Match applies as before."""

import pytest

JSON = "application/json"
RECORDS = {
    "person": ("/api/people/{}", {"title": "Buyer"}, {"title": "Head of Ops"}),
    "org": ("/api/organizations/{}", {"industry": "Retail"}, {"industry": "Energy"}),
    "opportunity": ("/api/opportunities/{}", {"amount": "1200"}, {"amount": "900"}),
}


@pytest.mark.parametrize("kind", RECORDS)
def test_a_stale_if_match_is_refused_and_changes_nothing(world, as_user, kind):
    url, first, second = RECORDS[kind]
    url = url.format({"person": world.person, "org": world.org,
                      "opportunity": world.opportunity}[kind].pk)  # fmt: skip
    client = as_user(world.owner)
    read = client.get(url)
    tag = read["ETag"]
    assert tag.startswith('W/"')
    changed = client.patch(url, first, content_type=JSON, headers={"If-Match": tag})
    assert changed.status_code == 200 and changed["ETag"] != tag
    late = client.patch(url, second, content_type=JSON, headers={"If-Match": tag})
    assert late.status_code == 412 and late.json()["detail"][0]["type"] == "precondition_failed"
    field, value = next(iter(first.items()))
    assert str(client.get(url).json()[field]).startswith(value)  # the first edit stands
    fresh = client.get(url)["ETag"]
    assert client.patch(url, second, content_type=JSON,
                        headers={"If-Match": fresh}).status_code == 200  # fmt: skip
    assert client.patch(url, first, content_type=JSON).status_code == 200  # no header: as before
