"""Unsaved model instances for a hot path, without Model.__init__'s field-by-field work.

Model(**values) walks every field through the keyword machinery (a person's 28 fields: about
20 µs); a form submission makes seven such rows. new() gives the same instance: every
concrete field holds its value or its field's default (get_default, as __init__ calls it),
a relation given by its object goes through its descriptor as in __init__, and an unknown
name is refused. A model that overrides __init__ or has pre_init/post_init receivers is
made by its own __init__.
"""

from functools import cache

from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init


@cache
def _fields(model) -> tuple[dict, frozenset]:
    """{attname: get_default} of the concrete fields, and the other names __init__ takes."""
    meta = model._meta
    defaults = {f.attname: f.get_default for f in meta.concrete_fields}
    others = frozenset(
        {f.name for f in meta.concrete_fields if f.name not in defaults} | meta._property_names
    )
    return defaults, others


def new(model: type[Model], **values) -> Model:
    if (
        model.__init__ is not Model.__init__
        or pre_init.has_listeners(model)
        or post_init.has_listeners(model)
    ):
        return model(**values)
    defaults, others = _fields(model)
    obj = model.__new__(model)
    obj._state = ModelState()
    state = obj.__dict__
    related = []
    for name, value in values.items():
        if name in defaults:
            state[name] = value
        elif name in others:
            related.append((name, value))
        else:
            raise TypeError(f"{model.__name__}() got an unexpected keyword argument '{name}'")
    for attname, default in defaults.items():
        if attname not in state:
            state[attname] = default()
    for name, value in related:  # a relation by its object sets its id too; a property
        setattr(obj, name, value)
    return obj
