"""Apps above core register home panels and search groups here at startup (AppConfig.ready)."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HomePanel:
    """A home panel. A lazy one is computed by its own request once the page is shown (and
    kept per reader for a minute): a whole-workspace aggregate must not hold the page up.
    Its place (order, width) is known before it is computed."""

    applies: Callable
    panel: Callable
    name: str = ""
    lazy: bool = False
    order: int = 50
    width: str = "full"


_home: list[HomePanel] = []
_search: list[tuple[str, Callable]] = []


def add_home_panel(applies: Callable, panel: Callable, **lazy) -> None:
    """lazy: name=…, lazy=True, order=…, width=… for a panel fetched after the page."""
    _home.append(HomePanel(applies, panel, **lazy))


def home_panels(user) -> list[HomePanel]:
    return [entry for entry in _home if entry.applies(user)]


def home_panel(user, name: str) -> HomePanel | None:
    return next((e for e in home_panels(user) if e.lazy and e.name == name), None)


def add_search_group(label: str, finder: Callable) -> None:
    _search.append((label, finder))


def search_groups() -> list[tuple[str, Callable]]:
    return list(_search)


_sections: dict[str, list[Callable]] = {}


def add_section(target: str, section: Callable) -> None:
    """A section on a detail page (person, organization, ...) contributed by a higher app.

    `section(actor, obj)` returns {"title", "template", "data"} or None when not visible."""
    _sections.setdefault(target, []).append(section)


def sections_for(target: str, actor, obj) -> list[dict]:
    return [s for s in (fn(actor, obj) for fn in _sections.get(target, [])) if s]


_actions: list[tuple[Callable, Callable]] = []


def add_palette_actions(actions: Callable) -> None:
    """actions(user) → [(label, url, hint)] the command palette offers that user."""
    _actions.append(actions)


def palette_actions(user) -> list[tuple[str, str, str]]:
    return [item for actions in _actions for item in actions(user)]


_records: dict[str, tuple[str, Callable]] = {}


def add_record(target: str, resource: str, getter: Callable) -> None:
    """getter(actor=, id=) fetches and authorizes one record of `target` (a model name), so
    core's generic pages (notes) can reach records they know nothing about."""
    _records[target] = (resource, getter)


def record(target: str):
    return _records.get(target)


_setup: list[tuple] = []


def add_setup_step(order: int, label: str, hint: str, done: Callable, url_name: str) -> None:
    """A step of the first-run checklist an admin sees on Home; done() ticks it."""
    _setup.append((order, label, hint, done, url_name))


def setup_steps() -> list[tuple]:
    return sorted(_setup, key=lambda step: step[0])


_settings: list[dict] = []


def add_settings_section(order: int, title: str, text: str, url_name: str, allowed) -> None:
    """A card of the Settings index: allowed(user) says who may open it."""
    _settings.append({"order": order, "title": title, "text": text, "url_name": url_name,
                      "allowed": allowed})  # fmt: skip


def settings_sections() -> list[dict]:
    return sorted(_settings, key=lambda s: s["order"])


_sweeps: list = []


def add_sweep(task) -> None:
    """A task that queues its own next run; `manage.py sweeps` (and `make run`) starts it."""
    _sweeps.append(task)


def sweeps() -> list:
    return list(_sweeps)


_lists: dict[str, tuple] = {}


def add_list(resource: str, spec, url_name: str) -> None:
    """A list page whose filters users may save: its allow-list spec and its URL name."""
    _lists[resource] = (spec, url_name)


def list_for(resource: str):
    return _lists.get(resource)


_pickers: dict[str, tuple[Callable, Callable]] = {}
_picker_creates: dict[str, tuple[Callable, Callable]] = {}


def add_picker(
    kind: str, search: Callable, label: Callable, create: Callable | None = None,
    may_create: Callable | None = None,
) -> None:  # fmt: skip
    """A search-as-you-type picker of one kind of record: search(actor=, q=) gives the
    records the actor may see that match; label(pk) names the one a form already holds;
    create(actor=, text=) makes one from what was typed (through the kind's service), offered
    to those may_create(actor) lets."""
    _pickers[kind] = (search, label)
    if create is not None:
        _picker_creates[kind] = (create, may_create or (lambda actor: True))


def picker(kind: str):
    return _pickers.get(kind)


def picker_create(kind: str):
    """(create, may_create) of a kind whose picker makes new records, or None."""
    return _picker_creates.get(kind)


_personal: list[tuple[str, Callable, Callable]] = []


def add_personal_data(name: str, export: Callable, erase: Callable) -> None:
    """What an app holds on a person, for a data subject's export and erasure: export(person)
    gives rows (dicts), erase(person) removes or anonymizes them and says how many."""
    _personal.append((name, export, erase))


def personal_data() -> list[tuple[str, Callable, Callable]]:
    return list(_personal)
