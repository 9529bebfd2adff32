"""A resolved profile as every part receives it: validated against contract/profiles/profile.schema.json when it is
loaded, frozen, with typed accessors.

Why frozen: ``contract.load_profile`` caches each profile, so every caller in a process shares one object; a
caller that changed a number for itself (a test's roomier rate limit) changed it for every later reader. Now
such a write raises ``TypeError``; ``copy.deepcopy(profile)`` gives a plain, mutable copy (dicts and lists).

Why validated at load: a profile with a missing or mistyped number failed later, deep inside whichever part
read that number first (a ``KeyError`` in the reference's start-up, a suite test's setup). Now loading it
raises :class:`ProfileError` with the first problem, the way ``fiwano-conformance doctor`` words it.

The profile stays a ``dict`` (a read-only subclass) so the ~100 readers that index it by key, JSON encoders
and ``{**profile}`` keep working; new code may prefer the typed accessors (``integer``, ``number``,
``numbers``, ``text``), which take dotted paths and name the profile in their error.
"""

from __future__ import annotations

import copy
from typing import Any, NoReturn

import yaml

SCHEMA_NOTE = "contract/profiles/profile.schema.json"


class ProfileError(ValueError):
    """A profile that does not match the profile schema (one line: the first problem and how many in all)."""


def _read_only(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise TypeError("a profile is read-only (shared by every reader in the process): "
                    "copy.deepcopy(profile) gives a mutable copy")


class FrozenDict(dict[str, Any]):
    """A dict whose content cannot change after it is built."""

    __setitem__ = __delitem__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only
    __ior__ = _read_only

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return {key: copy.deepcopy(value, memo) for key, value in self.items()}

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))


class FrozenList(list[Any]):
    """A list whose content cannot change after it is built."""

    __setitem__ = __delitem__ = _read_only
    append = extend = insert = pop = remove = clear = sort = reverse = _read_only
    __iadd__ = __imul__ = _read_only

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return [copy.deepcopy(value, memo) for value in self]

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (list(self),))


# YAML writes a frozen profile (or a part of it) as the plain mapping or list it is
for _dumper in (yaml.SafeDumper, yaml.Dumper):
    _dumper.add_multi_representer(FrozenDict, yaml.representer.SafeRepresenter.represent_dict)
    _dumper.add_multi_representer(FrozenList, yaml.representer.SafeRepresenter.represent_list)


def freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return FrozenDict({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list):
        return FrozenList(freeze(item) for item in value)
    return value


class Profile(FrozenDict):
    """A resolved, validated, frozen profile (see the module docstring)."""

    @property
    def name(self) -> str:
        return str(self.get("name") or "")

    def value(self, path: str) -> Any:
        node: Any = self
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"profile {self.name!r} has no {path!r} ({SCHEMA_NOTE})")
            node = node[part]
        return node

    def integer(self, path: str) -> int:
        value = self.value(path)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"profile {self.name!r}: {path} is {value!r}, not an integer")
        return value

    def number(self, path: str) -> float:
        value = self.value(path)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"profile {self.name!r}: {path} is {value!r}, not a number")
        return float(value)

    def numbers(self, path: str) -> list[float]:
        value = self.value(path)
        if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
            raise TypeError(f"profile {self.name!r}: {path} is {value!r}, not a list of numbers")
        return [float(v) for v in value]

    def text(self, path: str) -> str:
        value = self.value(path)
        if not isinstance(value, str):
            raise TypeError(f"profile {self.name!r}: {path} is {value!r}, not a string")
        return value


def problems(resolved: dict[str, Any], schema: dict[str, Any]) -> list[Any]:
    """The schema's complaints about a resolved profile, in the order of their paths."""
    import jsonschema

    return sorted(jsonschema.Draft202012Validator(schema).iter_errors(resolved), key=lambda e: list(e.absolute_path))


def validated(name: str, resolved: dict[str, Any], schema: dict[str, Any]) -> Profile:
    """``resolved`` as a :class:`Profile`, or :class:`ProfileError` naming the first problem."""
    errors = problems(resolved, schema)
    if errors:
        first = errors[0]
        path = ".".join(map(str, first.absolute_path)) or "(top)"
        raise ProfileError(f"profile {name}: {path}: {first.message} ({SCHEMA_NOTE}; {len(errors)} problem(s) in all)")
    return Profile({key: freeze(value) for key, value in resolved.items()})
