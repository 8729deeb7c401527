"""Query parameters at every list door: integers bounded with a 422 naming the parameter,
unknown parameters refused, the total right past the last page. The list endpoints come from
the OpenAPI document, so a new list cannot be forgotten."""

import pytest

from config.api import api
from tests import factories as f

HUGE = "100000000000000000000"
OVER = str(2**63)


def _list_endpoints():
    schema = api.get_openapi_schema()
    for path, ops in schema["paths"].items():
        get = ops.get("get")
        if get and "{" not in path and any(p["name"] == "page" for p in get.get("parameters", [])):
            yield path, [p["name"] for p in get["parameters"]]


LISTS = sorted(_list_endpoints())


def test_the_lists_are_found():
    assert {"/api/people", "/api/opportunities", "/api/activities", "/api/touches"} <= {
        p for p, _ in LISTS
    }


@pytest.mark.parametrize(("path", "params"), LISTS, ids=[p for p, _ in LISTS])
def test_numbers_out_of_range_are_a_422_naming_the_parameter(world, as_user, path, params):
    client = as_user(world.admin)
    for name in ("page", "page_size"):
        for value in (HUGE, "0", "-1", "1.5", "x"):
            response = client.get(path, {name: value})
            assert response.status_code == 422, (name, value, response.content)
            assert ["query", name] in [d["loc"] for d in response.json()["detail"]]
    for name in {"owner", "organization", "program", "person", "opportunity"} & set(params):
        response = client.get(path, {name: OVER})
        assert response.status_code == 422, (name, response.content)
        assert response.json()["detail"][0]["loc"][-1] == name


@pytest.mark.parametrize(("path", "params"), LISTS, ids=[p for p, _ in LISTS])
def test_unknown_parameters_are_a_422(world, as_user, path, params):
    response = as_user(world.admin).get(path, {"sise": "5", "page": "1"})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"type": "unknown", "msg": "Unknown parameter.", "loc": ["query", "sise"]}
    ]


def test_past_the_last_page_the_total_is_counted(world, as_user):
    for i in range(4):
        f.person(last_name=f"Page{i}")
    client = as_user(world.admin)
    total = client.get("/api/people").json()["meta"]["total"]
    far = client.get("/api/people", {"page": "999999999", "page_size": "50"}).json()
    assert far["items"] == [] and far["meta"]["total"] == total and far["meta"]["total_exact"]
    assert far["meta"]["has_next"] is False


@pytest.mark.parametrize(
    "url",
    [
        "/contacts/people/?page=" + HUGE,
        "/contacts/people/?owner=" + OVER,
        "/contacts/organizations/?page=" + HUGE,
        "/sales/opportunities/?owner=" + OVER,
        "/marketing/programs/?page=" + HUGE,
        "/sales/activities/?page=999999999",
    ],
)
def test_pages_answer_a_clear_400_not_a_500(world, as_user, url):
    response = as_user(world.admin).get(url)
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert "whole number" in response.content.decode()


def test_ids_in_paths_are_bounded(world, as_user):
    client = as_user(world.admin)
    response = client.get(f"/api/people/{OVER}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "person_id"]
    assert client.get("/api/people/0").status_code == 422
