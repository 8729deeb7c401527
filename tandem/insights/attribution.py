"""The six attribution models over journeys, with numpy and no database.

A journey is the ordered list of touches (each a state: a program or a channel) before one
outcome. Journeys carry `conversions` (1 for a won deal or an SQL, or a count for aggregated
paths), `nulls` (journeys of the same path that did not convert) and `value` (revenue).

The five rule-based models split each converting journey's conversions and value over its
touches. The Markov model (first order) estimates, from converting and non-converting journeys
alike, the chance that a journey starting now converts; the removal effect of a state is the share
of that chance lost when the state is removed (every transition into it goes to the null state),
and conversions and value are split in proportion to the removal effects. The chance is solved
exactly as an absorbing chain, so the result does not depend on a simulation's seed.
"""

from dataclasses import dataclass

import numpy as np

MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position", "markov")
LABELS = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
    "time_decay": "Time decay",
    "position": "Position 40/20/40",
    "markov": "Markov (removal effect)",
}


@dataclass
class Journeys:
    states: np.ndarray  # int, every touch of every journey, in order, journeys one after another
    offsets: np.ndarray  # int, len journeys + 1: journey j is states[offsets[j]:offsets[j+1]]
    age_days: np.ndarray  # float per touch: days from the touch to the outcome
    conversions: np.ndarray  # float per journey
    nulls: np.ndarray  # float per journey
    value: np.ndarray  # float per journey: the value of its conversions
    n_states: int

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1


def build(paths, conversions, nulls, value, ages=None, n_states=None) -> Journeys:
    """Journeys from Python lists: paths of state numbers, and per-journey figures."""
    lengths = np.fromiter((len(p) for p in paths), dtype=np.int64, count=len(paths))
    offsets = np.zeros(len(paths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    states = np.fromiter((s for p in paths for s in p), dtype=np.int64, count=int(offsets[-1]))
    if ages is None:
        age = np.zeros(len(states))
    else:
        age = np.fromiter((a for p in ages for a in p), dtype=float, count=len(states))
    return Journeys(
        states=states,
        offsets=offsets,
        age_days=age,
        conversions=np.asarray(conversions, dtype=float),
        nulls=np.asarray(nulls, dtype=float),
        value=np.asarray(value, dtype=float),
        n_states=int(
            n_states if n_states is not None else (states.max() + 1 if len(states) else 0)
        ),
    )


def _positions(j: Journeys) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per touch: its journey, its position in it, and the journey's length."""
    lengths = j.lengths
    journey = np.repeat(np.arange(len(j)), lengths)
    position = np.arange(len(j.states)) - j.offsets[journey]
    return journey, position, lengths[journey]


def touch_weights(j: Journeys, model: str, half_life_days: float = 7.0) -> np.ndarray:
    """Each touch's share of its journey's outcome (the shares of a journey add up to 1)."""
    journey, position, length = _positions(j)
    if model == "first_touch":
        return (position == 0).astype(float)
    if model == "last_touch":
        return (position == length - 1).astype(float)
    if model == "linear":
        return 1.0 / length
    if model == "position":
        ends = (position == 0) | (position == length - 1)
        middle = np.where(length > 2, 0.2 / np.maximum(length - 2, 1), 0.0)
        end_share = np.where(length == 1, 1.0, np.where(length == 2, 0.5, 0.4))
        return np.where(ends, end_share, middle)
    if model == "time_decay":
        raw = np.exp2(-np.maximum(j.age_days, 0) / float(half_life_days))
        totals = np.bincount(journey, weights=raw, minlength=len(j))
        return raw / totals[journey]
    raise ValueError(f"unknown rule-based model {model!r}")


def rule_based(j: Journeys, model: str, half_life_days: float = 7.0):
    """(conversions, value) attributed to each state."""
    if not len(j.states):
        return np.zeros(j.n_states), np.zeros(j.n_states)
    weights = touch_weights(j, model, half_life_days)
    journey = np.repeat(np.arange(len(j)), j.lengths)
    conv = np.bincount(j.states, weights=weights * j.conversions[journey], minlength=j.n_states)
    val = np.bincount(j.states, weights=weights * j.value[journey], minlength=j.n_states)
    return conv, val


def _transition_counts(j: Journeys, through: np.ndarray, to_conv: np.ndarray, to_null: np.ndarray):
    """Weighted transition counts between start (n), the states (0..n-1), conversion, null.

    `through` weights the transitions along each path, `to_conv`/`to_null` its last step."""
    n = j.n_states
    start, conv, null = n, n + 1, n + 2
    size = n + 3
    lengths = j.lengths
    used = lengths > 0
    firsts = j.states[j.offsets[:-1][used]]
    lasts = j.states[j.offsets[1:][used] - 1]
    same = np.ones(len(j.states), dtype=bool)
    same[j.offsets[1:-1] - 1] = False  # no step from one journey's last touch to the next's first
    if len(same):
        same[-1] = False
    journey = np.repeat(np.arange(len(j)), lengths)
    src = j.states[same]
    dst = j.states[np.flatnonzero(same) + 1]
    counts = np.zeros(size * size)
    for index, weight in (
        (src * size + dst, through[journey[same]]),
        (start * size + firsts, through[used]),
        (lasts * size + conv, to_conv[used]),
        (lasts * size + null, to_null[used]),
    ):
        counts += np.bincount(index, weights=weight.astype(float), minlength=size * size)
    return counts.reshape(size, size)


def _conversion_chance(counts: np.ndarray, removed: int | None = None) -> float:
    """P(reach conversion from start) in the absorbing chain of these counts."""
    n = counts.shape[0] - 3
    transient = n + 1  # the states and start
    totals = counts[:transient].sum(axis=1)
    safe = np.where(totals > 0, totals, 1.0)
    q = counts[:transient, :transient] / safe[:, None]
    r = counts[:transient, n + 1] / safe
    if removed is not None:
        q = q.copy()
        r = r.copy()
        q[removed, :] = 0.0  # a removed state leads only to the null state
        r[removed] = 0.0
    x = np.linalg.solve(np.eye(transient) - q, r)
    return float(x[n])


def removal_effects(counts: np.ndarray) -> np.ndarray:
    n = counts.shape[0] - 3
    base = _conversion_chance(counts)
    if base <= 0:
        return np.zeros(n)
    present = counts[:, :n].sum(axis=0) > 0
    return np.array(
        [1.0 - _conversion_chance(counts, s) / base if present[s] else 0.0 for s in range(n)]
    )


def markov(j: Journeys):
    """(conversions, value, removal effects by conversions) attributed to each state."""
    n = j.n_states
    if not len(j.states) or j.conversions.sum() <= 0:
        return np.zeros(n), np.zeros(n), np.zeros(n)
    total = j.conversions + j.nulls
    effects = removal_effects(_transition_counts(j, total, j.conversions, j.nulls))
    # value: the same chain with each converting path weighted by its value and each null
    # path by the mean value of a conversion, so equal values give the count chain again
    mean_value = j.value.sum() / j.conversions.sum()
    value_null = j.nulls * mean_value
    value_effects = removal_effects(
        _transition_counts(j, j.value + value_null, j.value, value_null)
    )
    conv = _share(effects, j.conversions.sum())
    val = _share(value_effects, j.value.sum())
    return conv, val, effects


def _share(effects: np.ndarray, total: float) -> np.ndarray:
    s = effects.sum()
    return effects * (total / s) if s > 0 else np.zeros_like(effects)


def attribute(j: Journeys, model: str, half_life_days: float = 7.0):
    """(conversions, value) per state for any of the six models."""
    if model == "markov":
        conv, val, _ = markov(j)
        return conv, val
    return rule_based(j, model, half_life_days)
