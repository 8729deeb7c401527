"""Fitting and judging the predictive model, on any table of typed features (features.py): the
workspace's people (history.py) or a file (x_education.py).

Validation splits by time: the model learns from the older rows and is scored on the newest
ones it never saw. Its size (leaves, rounds) is chosen on a second time split inside the older
rows, so the reported AUC is never tuned on the rows it is reported on. Beside the AUC: a
calibration table, each feature's weight (the AUC lost when its values are shuffled), and a
warning for any feature that alone tells the outcome (AUC ≥ 0.95), the sign of a leak."""

from dataclasses import dataclass, field

import numpy as np

from tandem.handoff import features

LEARNING_RATE = 0.05
LEAVES = (6, 15, 31)
MAX_ROUNDS = 600
STEP = 20
LEAK_AUC = 0.95
MIN_ROWS = 50


@dataclass
class Fit:
    model: object  # a HistGradientBoostingClassifier, refit on every row
    specs: list  # features.Column, learnt from every row
    auc: float  # on the newest rows, by a model that never saw them
    train: int
    valid: int
    positives: int
    leaves: int
    rounds: int
    calibration: list = field(
        default_factory=list
    )  # [{"from", "to", "n", "predicted", "observed"}]
    weights: list = field(default_factory=list)  # [{"feature", "auc_drop"}], largest first
    leaks: list = field(default_factory=list)  # [{"feature", "auc"}]
    baseline: list = field(default_factory=list)  # a typical value per feature
    typical: float = 0.0  # the mean likelihood the model gives
    valid_rows: np.ndarray | None = None  # the newest rows, and the scores they got from the
    valid_scores: np.ndarray | None = None  # model that never saw them


def auc_of(y, p) -> float:
    from sklearn.metrics import roc_auc_score  # scikit-learn takes 1 s to import: when needed

    return float(roc_auc_score(y, p)) if len(set(y.tolist())) == 2 else float("nan")


def _model(cat, leaves: int, rounds: int):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=rounds,
        learning_rate=LEARNING_RATE,
        max_leaf_nodes=leaves,
        l2_regularization=1.0,
        min_samples_leaf=30,
        categorical_features=np.array(cat, dtype=bool) if len(cat) else None,
        early_stopping=False,
        random_state=0,
    )


def time_split(order: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    rank = np.argsort(order, kind="stable")
    cut = int(len(rank) * (1 - share))
    return rank[:cut], rank[cut:]


def choose_size(X, y, order, cat) -> tuple[int, int]:
    """(leaves, rounds) that do best on the newest fifth of these rows, learnt on the rest."""
    a, b = time_split(order, 0.2)
    if len(set(y[a].tolist())) < 2 or len(set(y[b].tolist())) < 2:
        return LEAVES[0], 100
    best = (-1.0, LEAVES[0], 100)
    for leaves in LEAVES:
        model = _model(cat, leaves, MAX_ROUNDS).fit(X[a], y[a])
        for rounds, p in enumerate(model.staged_predict_proba(X[b]), start=1):
            if rounds % STEP == 0:
                auc = auc_of(y[b], p[:, 1])
                if auc > best[0]:
                    best = (auc, leaves, rounds)
    return best[1], best[2]


def calibration(y, p, bins: int = 10) -> list[dict]:
    out = []
    for k in range(bins):
        lo, hi = k / bins, (k + 1) / bins
        inside = (p >= lo) & ((p < hi) if k < bins - 1 else (p <= hi))
        if inside.any():
            out.append({"from": lo, "to": hi, "n": int(inside.sum()),
                        "predicted": float(p[inside].mean()),
                        "observed": float(y[inside].mean())})  # fmt: skip
    return out


def _alone(x_train, y_train, x_valid, y_valid, categorical: bool) -> float:
    """How well one feature alone ranks the newest rows (0.5: not at all, 1: perfectly)."""
    if categorical:
        train_codes = np.nan_to_num(x_train, nan=-1.0)
        valid_codes = np.nan_to_num(x_valid, nan=-1.0)
        rate = {c: y_train[train_codes == c].mean() for c in np.unique(train_codes)}
        score = np.array([rate.get(c, y_train.mean()) for c in valid_codes])
    else:
        fill = np.nanmedian(x_train) if np.isfinite(x_train).any() else 0.0
        score = np.nan_to_num(x_valid, nan=fill)
    auc = auc_of(y_valid, score)
    return max(auc, 1 - auc) if auc == auc else 0.5


def weights(model, X, y, names: list[str], limit: int = 20_000) -> list[dict]:
    """The AUC each feature's values carry: lost when they are shuffled among the rows."""
    rng = np.random.default_rng(0)
    if len(y) > limit:
        keep = rng.choice(len(y), limit, replace=False)
        X, y = X[keep], y[keep]
    base = auc_of(y, model.predict_proba(X)[:, 1])
    out = []
    for j, name in enumerate(names):
        shuffled = X.copy()
        shuffled[:, j] = rng.permutation(shuffled[:, j])
        drop = base - auc_of(y, model.predict_proba(shuffled)[:, 1])
        out.append({"feature": name, "auc_drop": round(float(drop), 4)})
    return sorted(out, key=lambda w: -w["auc_drop"])


def fit(table: features.Table, *, valid_share: float = 0.2) -> Fit:
    if len(table.y) < MIN_ROWS or len(set(table.y.tolist())) < 2:
        raise ValueError("Too little history to learn from (need both outcomes, 50+ people).")
    train, valid = time_split(table.order, valid_share)
    specs = features.learn_all(table, train)
    names, cat = features.names(specs), features.categorical(specs)
    X_train, X_valid = features.matrix(specs, table, train), features.matrix(specs, table, valid)
    y_train, y_valid = table.y[train], table.y[valid]
    leaves, rounds = choose_size(X_train, y_train, table.order[train], cat)
    model = _model(cat, leaves, rounds).fit(X_train, y_train)
    p_valid = model.predict_proba(X_valid)[:, 1]
    leaks = []
    for j, name in enumerate(names):
        alone = _alone(X_train[:, j], y_train, X_valid[:, j], y_valid, cat[j])
        if alone >= LEAK_AUC:
            leaks.append({"feature": name, "auc": round(alone, 3)})
    result = Fit(
        model=model, specs=specs, auc=auc_of(y_valid, p_valid), train=len(train),
        valid=len(valid), positives=int(table.y.sum()), leaves=leaves, rounds=rounds,
        calibration=calibration(y_valid, p_valid),
        weights=weights(model, X_valid, y_valid, names)[:15], leaks=leaks,
        valid_rows=valid, valid_scores=p_valid,
    )  # fmt: skip
    everyone = np.arange(len(table.y))
    result.specs = features.learn_all(table, everyone)
    X = features.matrix(result.specs, table)
    result.model = _model(features.categorical(result.specs), leaves, rounds).fit(X, table.y)
    result.baseline = typical_values(X, features.categorical(result.specs))
    result.typical = float(result.model.predict_proba(X)[:, 1].mean()) if len(X) else 0.0
    return result


def typical_values(X: np.ndarray, cat: list[bool]) -> list:
    """Per feature: the most frequent category, or the median number (None: always blank)."""
    out = []
    for j in range(X.shape[1]):
        column = X[:, j][np.isfinite(X[:, j])]
        if not len(column):
            out.append(None)
        elif cat[j]:
            values, counts = np.unique(column, return_counts=True)
            out.append(float(values[counts.argmax()]))
        else:
            out.append(float(np.median(column)))
    return out
