"""The attribution models against independent plain-Python computations of the same journeys."""

import csv
import random
import re

import numpy as np
import pytest

from tandem.insights import attribution as A
from tests.conftest import shared_dataset


def _random_journeys(seed: int, n: int = 400, states: int = 6):
    rng = random.Random(seed)
    paths, ages, conv, null, value = [], [], [], [], []
    for _ in range(n):
        length = rng.randint(1, 7)
        paths.append([rng.randrange(states) for _ in range(length)])
        ages.append(sorted((rng.uniform(0, 60) for _ in range(length)), reverse=True))
        converted = rng.random() < 0.4
        conv.append(1.0 if converted else 0.0)
        null.append(0.0 if converted else 1.0)
        value.append(rng.randint(1, 100) * 100.0 if converted else 0.0)
    return paths, ages, conv, null, value


def _rule_by_hand(paths, ages, conv, value, model, half_life, states):
    """Credit each converting journey's value touch by touch, with plain loops."""
    out = [0.0] * states
    for path, age, c, v in zip(paths, ages, conv, value, strict=True):
        if not c:
            continue
        n = len(path)
        if model == "first_touch":
            shares = [1.0] + [0.0] * (n - 1)
        elif model == "last_touch":
            shares = [0.0] * (n - 1) + [1.0]
        elif model == "linear":
            shares = [1.0 / n] * n
        elif model == "position":
            if n == 1:
                shares = [1.0]
            elif n == 2:
                shares = [0.5, 0.5]
            else:
                shares = [0.4] + [0.2 / (n - 2)] * (n - 2) + [0.4]
        else:
            raw = [0.5 ** (a / half_life) for a in age]
            shares = [r / sum(raw) for r in raw]
        for state, share in zip(path, shares, strict=True):
            out[state] += share * v
    return out


@pytest.mark.parametrize("model", ["first_touch", "last_touch", "linear", "position", "time_decay"])
def test_rule_based_models_match_a_hand_computation(model):
    paths, ages, conv, null, value = _random_journeys(seed=7)
    journeys = A.build(paths, conv, null, value, ages=ages, n_states=6)
    _, got = A.rule_based(journeys, model, half_life_days=10)
    expected = _rule_by_hand(paths, ages, conv, value, model, 10, 6)
    assert np.allclose(got, expected)
    assert got.sum() == pytest.approx(sum(value))  # every won amount is credited once


def test_time_decay_halves_per_half_life():
    j = A.build([[0, 1]], [1], [0], [300.0], ages=[[14.0, 7.0]], n_states=2)
    _, value = A.rule_based(j, "time_decay", half_life_days=7)
    assert value[1] == pytest.approx(2 * value[0]) and value.sum() == pytest.approx(300)


def _markov_by_iteration(paths, conv, null, states):
    """Removal effects by counting transitions in dicts and iterating absorption chances."""
    counts: dict = {}

    def add(a, b, w):
        counts.setdefault(a, {}).setdefault(b, 0.0)
        counts[a][b] += w

    for path, c, z in zip(paths, conv, null, strict=True):
        total = c + z
        add("start", path[0], total)
        for a, b in zip(path, path[1:], strict=False):
            add(a, b, total)
        add(path[-1], "conv", c)
        add(path[-1], "null", z)

    def chance(removed):
        p = {s: 0.0 for s in counts}
        for _ in range(3000):
            nxt = {}
            for s, row in counts.items():
                if s == removed:
                    nxt[s] = 0.0
                    continue
                total = sum(row.values())
                nxt[s] = sum(
                    w / total * (1.0 if t == "conv" else 0.0 if t in ("null", removed) else p[t])
                    for t, w in row.items()
                )
            p = nxt
        return p["start"]

    base = chance(None)
    return [1 - chance(s) / base for s in range(states)]


def test_markov_removal_effects_match_an_iterative_computation():
    paths, _, conv, null, value = _random_journeys(seed=11, n=300, states=5)
    j = A.build(paths, conv, null, value, n_states=5)
    got_conv, got_value, effects = A.markov(j)
    expected = _markov_by_iteration(paths, conv, null, 5)
    assert np.allclose(effects, expected, atol=1e-9)
    assert got_conv.sum() == pytest.approx(sum(conv))
    assert got_value.sum() == pytest.approx(sum(value))
    shares = np.array(expected) / sum(expected)
    assert np.allclose(got_conv, shares * sum(conv))


def test_markov_credits_only_states_on_converting_paths():
    # state 2 appears only on journeys that never convert: removing it costs nothing
    j = A.build([[0, 1], [1], [2], [2, 2]], [1, 1, 0, 0], [0, 1, 3, 1], [10, 10, 0, 0], n_states=3)
    conv, _, effects = A.markov(j)
    assert effects[2] == pytest.approx(0) and conv[2] == pytest.approx(0)
    assert effects[0] > 0 and effects[1] == pytest.approx(1)  # every conversion passes state 1


def test_markov_agrees_with_channelattribution_on_its_own_data():
    """SOURCE.md holds ChannelAttribution 2.2.5's result for these 10,000 paths (simulation,
    seed 1); the exact solution agrees with it within 1 % of all conversions per channel."""
    folder = shared_dataset("channelattribution-paths")
    with open(folder / "Data.csv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    names: dict[str, int] = {}
    paths = [[names.setdefault(c.strip(), len(names)) for c in r["path"].split(">")] for r in rows]
    j = A.build(
        paths,
        [float(r["total_conversions"]) for r in rows],
        [float(r["total_null"]) for r in rows],
        [float(r["total_conversion_value"]) for r in rows],
    )
    conv, _, _ = A.markov(j)
    text = (folder / "SOURCE.md").read_text()
    listed = text.split("run on this machine):")[1].split("(sum")[0]
    reference = {name: float(v) for name, v in re.findall(r"([a-z]+) ([\d.]+)", listed)}
    assert len(reference) == 12 and sum(reference.values()) == pytest.approx(19_785, abs=0.1)
    for name, expected in reference.items():
        assert abs(conv[names[name]] - expected) < 0.01 * 19_785, name
    assert conv.sum() == pytest.approx(19_785)


def test_single_touch_journeys_get_everything_under_every_model():
    j = A.build([[3]], [1], [0], [500.0], ages=[[2.0]], n_states=4)
    for model in A.MODELS:
        conv, value = A.attribute(j, model)
        assert value[3] == pytest.approx(500) and conv[3] == pytest.approx(1), model


def test_no_journeys_give_zeros():
    j = A.build([], [], [], [], n_states=3)
    for model in A.MODELS:
        conv, value = A.attribute(j, model)
        assert not conv.any() and not value.any()


def test_journeys_of_people_without_touches_are_empty(db):
    """No ids, or ids with no program touch: empty arrays on both databases (PostgreSQL copies
    the touches out in binary)."""
    from tandem.insights import journeys
    from tests import factories as f

    for people in ([], [None], [f.person().pk]):
        person, program, at = journeys._touches(people)
        assert len(person) == len(program) == len(at) == 0


@pytest.mark.django_db(transaction=True)
def test_touches_split_over_two_connections_come_back_whole_and_in_order(monkeypatch):
    """Outside a transaction, many people are fetched in two halves at once on PostgreSQL:
    the halves join up by person and time, and equal one connection's answer."""
    from datetime import UTC, datetime, timedelta

    from django.db import connection

    from tandem.insights import journeys
    from tandem.marketing.models import Touch
    from tests import factories as f

    if connection.vendor != "postgresql":
        pytest.skip("SQLite reads the touches on its one connection")
    programs = [f.program(name=f"P{i}") for i in range(3)]
    people = [f.person() for _ in range(9)]
    base = datetime(2026, 2, 1, tzinfo=UTC)
    rng = random.Random(7)
    for person in reversed(people):  # stored out of person order
        for _ in range(rng.randint(0, 4)):
            moment = base + timedelta(seconds=rng.randint(0, 10**6), microseconds=123)
            Touch.objects.create(person=person, program=rng.choice(programs),
                                 kind="page_view", occurred_at=moment)  # fmt: skip
    ids = [p.pk for p in people]
    monkeypatch.setattr(journeys, "PARALLEL_FROM", 10**9)
    alone = journeys._touches(ids)
    monkeypatch.setattr(journeys, "PARALLEL_FROM", 2)
    split = journeys._touches(ids)
    stored = sorted(
        (t.person_id, t.occurred_at.timestamp(), t.program_id)
        for t in Touch.objects.filter(program__isnull=False)
    )
    assert len(split[0]) == len(stored) > 0
    got = list(zip(split[0].tolist(), split[2].tolist(), split[1].tolist(), strict=True))
    assert [(p, pr) for p, _, pr in got] == [(p, pr) for p, _, pr in stored]
    assert [a for _, a, _ in got] == pytest.approx([a for _, a, _ in stored], abs=1e-6)
    for mine, theirs in zip(alone, split, strict=True):
        assert mine.tolist() == theirs.tolist()


def test_touches_come_back_by_person_and_time_with_exact_moments(db):
    from datetime import UTC, datetime

    from tandem.insights import journeys
    from tandem.marketing.models import Touch
    from tests import factories as f

    a, b = f.person(), f.person()
    web, show = f.program(name="Web"), f.program(name="Show")
    moments = [datetime(2026, 3, 1, 9, 30, 15, 250000, tzinfo=UTC),
               datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC),
               datetime(2026, 1, 2, tzinfo=UTC)]  # fmt: skip
    Touch.objects.create(person=b, program=web, kind="page_view", occurred_at=moments[0])
    Touch.objects.create(person=b, program=show, kind="event_attended", occurred_at=moments[1])
    Touch.objects.create(person=a, program=web, kind="page_view", occurred_at=moments[2])
    Touch.objects.create(person=a, program=None, kind="call", occurred_at=moments[0])
    person, program, at = journeys._touches([b.pk, a.pk, b.pk])
    assert list(zip(person.tolist(), program.tolist(), strict=True)) == [
        (a.pk, web.pk), (b.pk, show.pk), (b.pk, web.pk)
    ]  # fmt: skip
    expected = [moments[2].timestamp(), moments[1].timestamp(), moments[0].timestamp()]
    assert at.tolist() == pytest.approx(expected, abs=1e-3)  # SQLite's julianday rounds
