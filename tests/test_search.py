"""Substring search of people: the same matches as a plain `in` over every person, whichever
index answers (SQLite's FTS5 trigram table, PostgreSQL's pg_trgm), and the index follows
every write: create, edit, bulk insert, erase, delete."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.contacts import privacy, selectors
from tandem.contacts.models import Person
from tandem.contacts.services import person_create, person_update

NAMES = [
    ("Ada", "Lovelace", "ada@analytical.test"),
    ("Zoë", "Ölander", "zoe@nordic.test"),
    ("Seán", "O'Brien", "sean.obrien@dublin.test"),
    ("Quote", 'The "Great"', "quote@marks.test"),
    ("Per", "Cent 100%", "percent_under@odd.test"),
    ("Adam", "Lovell", "adam@lovell.test"),
]
QUERIES = ["ada", "lov", "love", "ö", "zoë ö", "o'b", '"great"', '"', "100%", "t_u", "%", "_",
           "an", "a", "ada lovelace", "nordic", "xyz", "nt 1", "ean.ob"]  # fmt: skip


def _expected(q: str) -> set[int]:
    return {pk for pk, text in Person.objects.values_list("pk", "search_text") if q in text}


def _found(q: str) -> set[int]:
    return set(selectors._contains(Person.objects.all(), q.lower()).values_list("pk", flat=True))


@pytest.fixture
def people(world):
    for first, last, email in NAMES:
        data = {"first_name": first, "last_name": last, "email": email}
        person_create(actor=world.admin, data=data)


@pytest.mark.django_db(transaction=True)
def test_substring_search_finds_what_a_scan_finds(world, people):
    for q in QUERIES:
        assert _found(q) == _expected(q), q
    assert len(_found("lov")) == 2 and _found("zoë ö")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's trigram table")
@pytest.mark.django_db(transaction=True)
def test_sqlite_answers_from_the_trigram_index_and_keeps_it(world, people):
    with CaptureQueriesContext(connection) as seen:
        assert _found("lovelace")
    assert "contacts_person_fts MATCH" in seen.captured_queries[-1]["sql"]
    with CaptureQueriesContext(connection) as seen:
        _found("ad")  # under 3 characters: no trigram, LIKE reads the rows
    assert "contacts_person_fts" not in seen.captured_queries[-1]["sql"]

    ada = Person.objects.get(email_normalized="ada@analytical.test")
    person_update(actor=world.admin, person=ada, data={"last_name": "Byron"})
    assert ada.pk in _found("byron") and ada.pk not in _found("lovelace")
    Person.objects.bulk_create([Person(first_name="Bulk", search_text="bulk loaded")])
    assert len(_found("k loa")) == 1
    privacy.erase(actor=world.admin, person=ada)
    assert ada.pk not in _found("byron") and ada.pk not in _found("analytical")
    Person.objects.filter(search_text="bulk loaded").delete()
    assert not _found("bulk")
    for q in QUERIES:
        assert _found(q) == _expected(q), q
    with connection.cursor() as cursor:  # raises if the index and the rows disagree
        check = "INSERT INTO contacts_person_fts(contacts_person_fts, rank) VALUES (%s, 1)"
        cursor.execute(check, ["integrity-check"])


def test_people_list_search_through_the_page(world, people, as_user):
    html = as_user(world.admin).get("/contacts/people/", {"q": "O'Brien"}).content.decode()
    assert "O&#x27;Brien" in html and "Lovelace" not in html
    html = as_user(world.admin).get("/contacts/people/", {"q": "lovel"}).content.decode()
    assert "Lovelace" in html and "Lovell" in html and "Ölander" not in html
