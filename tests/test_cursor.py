"""Cursor pagination for exports: `after` walks a list in id order, with its filters, to the
end, each record once, however large the list."""

from tests import factories as f


def test_a_cursor_walks_every_record_once_with_the_filters(world, as_user):
    made = [f.person(owner=world.owner, country="DE", first_name=f"P{n}") for n in range(7)]
    f.person(owner=world.owner, country="FR", first_name="Other")
    client = as_user(world.owner)
    seen, after = [], 0
    while after is not None:
        page = client.get(f"/api/people?country=DE&page_size=3&after={after}").json()
        seen += [p["id"] for p in page["items"]]
        after = page["meta"]["next_after"]
    assert seen == sorted(p.pk for p in made)  # id order, each once, only DE
    bad = client.get("/api/people?after=-1")
    assert bad.status_code == 422
    plain = client.get("/api/people?page_size=2").json()
    assert plain["meta"]["next_after"] is None and plain["meta"]["total"] >= 8
