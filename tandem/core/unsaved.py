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
def _fields(model) -> tuple[dict, dict, frozenset]:
    """The concrete fields' defaults: {attname: value} where get_default gives the same value
    each time (a constant, "" or None), {attname: get_default} where it calls the field's
    default; and the other names __init__ takes (a relation by its object, a property)."""
    meta = model._meta
    fixed, called = {}, {}
    for f in meta.concrete_fields:
        if f.has_default() and callable(f.default):
            called[f.attname] = f.get_default
        else:
            fixed[f.attname] = f.get_default()
    names = {f.name for f in meta.concrete_fields} - fixed.keys() - called.keys()
    return fixed, called, frozenset(names | meta._property_names)


def new(model: type[Model], **values) -> Model:
    if (
        model.__init__ is not Model.__init__
        or pre_init.has_listeners(model)
        or post_init.has_listeners(model)
    ):
        return model(**values)
    fixed, called, others = _fields(model)
    obj = model.__new__(model)
    obj._state = ModelState()
    state = obj.__dict__
    state.update(fixed)
    related = []
    for name, value in values.items():
        if name in fixed or name in called:
            state[name] = value
        elif name in others:
            related.append((name, value))
        else:
            raise TypeError(f"{model.__name__}() got an unexpected keyword argument '{name}'")
    for attname, default in called.items():
        if attname not in values:
            state[attname] = default()
    for name, value in related:  # a relation by its object sets its id too; a property
        setattr(obj, name, value)
    return obj
