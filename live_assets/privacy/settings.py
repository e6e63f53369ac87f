"""``LIVE_PII``, ``LIVE_PII_AGENTS`` and ``LIVE_PII_KEY``: what happens to each class of personal data.

Read in the run's process, like the API's secrets: the key never goes through Dagster config.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from live_assets.privacy.classes import AGENT_CLASSES, CUSTOMER_CLASSES, PersonalData, Treatment
from live_assets.secret import Secret
from live_assets.settings import SettingsError, _secret, _text, load_settings

PII_VARIABLE: Final = "LIVE_PII"
AGENTS_VARIABLE: Final = "LIVE_PII_AGENTS"
KEY_VARIABLE: Final = "LIVE_PII_KEY"
MIN_KEY_LENGTH: Final = 16


def parse_treatments(variable: str, value: str, classes: frozenset[PersonalData]) -> dict[PersonalData, Treatment]:
    """``hash`` or ``hash,message_text=drop``: a treatment for every class, then per-class refinements."""
    known = ", ".join(sorted(classes))
    treatments = ", ".join(Treatment)
    default = Treatment.KEEP
    refined: dict[PersonalData, Treatment] = {}
    for position, item in enumerate(part.strip() for part in value.split(",")):
        name, equals, wanted = item.partition("=")
        name, wanted = name.strip(), wanted.strip()
        if not equals:
            if position != 0:
                raise SettingsError(f"{variable}: {item!r} must be class=treatment (only the first item is bare)")
            name, wanted = "", name
        if wanted not in set(Treatment):
            raise SettingsError(f"{variable}: treatment {wanted!r} is not one of {treatments} (in {value!r})")
        if not equals:
            default = Treatment(wanted)
            continue
        if name not in classes:
            raise SettingsError(f"{variable}: {name!r} is not a class of personal data here; the classes: {known}")
        refined[PersonalData(name)] = Treatment(wanted)
    return {data_class: refined.get(data_class, default) for data_class in sorted(classes)}


@dataclass(frozen=True)
class PrivacySettings:
    """The treatment of every class (all ``keep`` by default) and the hashing key, when one is needed."""

    treatments: Mapping[PersonalData, Treatment] = field(
        default_factory=lambda: dict.fromkeys(sorted(PersonalData), Treatment.KEEP)
    )
    key: Secret | None = field(default=None, repr=False)

    def treatment(self, data_class: PersonalData) -> Treatment:
        return self.treatments.get(data_class, Treatment.KEEP)

    @property
    def keeps_everything(self) -> bool:
        return all(treatment is Treatment.KEEP for treatment in self.treatments.values())

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PrivacySettings:
        customers = parse_treatments(PII_VARIABLE, _text(env, PII_VARIABLE) or "keep", CUSTOMER_CLASSES)
        agents = parse_treatments(AGENTS_VARIABLE, _text(env, AGENTS_VARIABLE) or "keep", AGENT_CLASSES)
        treatments = customers | agents
        key = _secret(env, KEY_VARIABLE)
        hashed = sorted(data_class for data_class, treatment in treatments.items() if treatment is Treatment.HASH)
        if hashed and key is None:
            raise SettingsError(
                f"{KEY_VARIABLE} is not set, but {PII_VARIABLE}/{AGENTS_VARIABLE} hash {', '.join(hashed)}: "
                f"the hash is keyed; set a random key of at least {MIN_KEY_LENGTH} characters and keep it secret"
            )
        if key is not None and len(key.reveal()) < MIN_KEY_LENGTH:
            raise SettingsError(f"{KEY_VARIABLE} must be at least {MIN_KEY_LENGTH} characters long")
        return cls(treatments=treatments, key=key)


def load_privacy() -> PrivacySettings:
    """The privacy settings of this process's environment (``./.env`` loaded first, as every setting)."""
    load_settings()
    return PrivacySettings.from_env(os.environ)
