"""Locale value pools for realistic text columns, built from Faker once per process.

Generators never call Faker per row: they draw indexes into a pool with their
own numpy RNG. Each pool is built by a Faker instance seeded from
``(kind, locale)`` alone, then de-duplicated and sorted, so every process
holding the same Faker version gets the identical array. (A Faker upgrade can
change pools: bump ``ENGINE_VERSION`` with it.)

Pools hold distinct values, except ``email_domain``, whose repeats weight the
common free-mail providers against company domains.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from functools import cache

import numpy as np
import pyarrow as pa
from faker import Faker

POOL_KINDS: frozenset[str] = frozenset(
    {
        "first_name",
        "first_name_female",
        "first_name_male",
        "last_name",
        "street_address",
        "city",
        "state",
        "country",
        "postal_code",
        "company",
        "job_title",
        "product_name",
        "sentence",
        "paragraph",
        "phone",
        "email_domain",
    }
)

# Locales whose Faker providers cover every kind offline. Locales without
# their own word list borrow one, so sentences are never Latin filler.
_TEXT_LOCALE = {
    "en_US": "en_US",
    "en_GB": "en_US",
    "en_CA": "en_US",
    "en_AU": "en_US",
    "de_DE": "de_DE",
    "fr_FR": "fr_FR",
    "es_ES": "es_ES",
    "es_MX": "es_MX",
    "it_IT": "it_IT",
    "nl_NL": "nl_NL",
    "pl_PL": "pl_PL",
    "da_DK": "da_DK",
    "ja_JP": "ja_JP",
}
LOCALES: frozenset[str] = frozenset(_TEXT_LOCALE)

# Number of Faker draws per kind before de-duplication.
_DRAWS = {
    "first_name": 4000,
    "first_name_female": 3000,
    "first_name_male": 3000,
    "last_name": 4000,
    "street_address": 2000,
    "city": 2000,
    "state": 1500,
    "country": 2500,
    "postal_code": 2000,
    "company": 2000,
    "job_title": 3000,
    "sentence": 1500,
    "paragraph": 500,
    "phone": 2000,
}
_LOCATION_CITIES = 400


class UnknownPoolError(ValueError):
    """An unknown pool kind or locale; the message lists the valid names."""


def _check(kind: str | None, locale: str) -> None:
    if kind is not None and kind not in POOL_KINDS:
        raise UnknownPoolError(
            f"unknown text kind {kind!r}; choose one of: {', '.join(sorted(POOL_KINDS))}"
        )
    if locale not in LOCALES:
        raise UnknownPoolError(
            f"unsupported locale {locale!r}; choose one of: {', '.join(sorted(LOCALES))}"
        )


def _seed(*parts: str) -> int:
    # Python's hash() is salted per process; a digest is stable everywhere.
    digest = hashlib.sha256("|".join(("datagen-pools", *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _faker(locale: str, *parts: str) -> Faker:
    faker = Faker(locale)
    faker.seed_instance(_seed(locale, *parts))
    return faker


def _distinct_sorted(values: list[str]) -> np.ndarray:
    cleaned = sorted({" ".join(v.split()) for v in values if v and v.strip()})
    return np.array(cleaned, dtype=object)


def _draw(method: Callable[[], str], count: int) -> list[str]:
    return [method() for _ in range(count)]


@cache
def pool(kind: str, locale: str = "en_US") -> np.ndarray:
    """Distinct, sorted values of ``kind`` for ``locale``; raises ``UnknownPoolError`` (a ValueError).

    The returned array is shared and read-only: copy it before changing it.
    """
    _check(kind, locale)
    if kind == "product_name":
        values = _product_names()
    elif kind == "email_domain":
        values = _email_domains(locale)
    else:
        faker_locale = _TEXT_LOCALE[locale] if kind in ("sentence", "paragraph") else locale
        faker = _faker(faker_locale, kind)
        method = {
            "first_name": faker.first_name,
            "first_name_female": faker.first_name_female,
            "first_name_male": faker.first_name_male,
            "last_name": faker.last_name,
            "street_address": faker.street_address,
            "city": faker.city,
            "state": faker.administrative_unit,
            "country": faker.country,
            "postal_code": faker.postcode,
            "company": faker.company,
            "job_title": faker.job,
            "sentence": faker.sentence,
            "paragraph": lambda: faker.paragraph(nb_sentences=4),
            "phone": faker.phone_number,
        }[kind]
        values = _distinct_sorted(_draw(method, _DRAWS[kind]))
    values.setflags(write=False)
    return values


def _email_domains(locale: str) -> np.ndarray:
    faker = _faker(locale, "email_domain")
    # About two addresses in three use a free-mail provider.
    free = _draw(faker.free_email_domain, 700)
    company = _draw(faker.domain_name, 300)
    return np.array(sorted(free + company), dtype=object)


_PRODUCT_ADJECTIVES = (
    "Classic", "Compact", "Deluxe", "Durable", "Eco", "Elegant", "Ergonomic", "Essential",
    "Everyday", "Foldable", "Handcrafted", "Heavy-Duty", "Lightweight", "Modern", "Portable",
    "Premium", "Pro", "Rustic", "Sleek", "Smart", "Sturdy", "Ultra", "Vintage", "Wireless",
)  # fmt: skip
_PRODUCT_MATERIALS = (
    "Aluminum", "Bamboo", "Canvas", "Ceramic", "Cotton", "Glass", "Granite", "Leather",
    "Linen", "Marble", "Oak", "Plastic", "Rubber", "Silicone", "Steel", "Walnut", "Wool",
)  # fmt: skip
_PRODUCT_NOUNS = (
    "Backpack", "Bench", "Blender", "Bottle", "Bowl", "Chair", "Clock", "Desk", "Gloves",
    "Hat", "Headphones", "Jacket", "Kettle", "Keyboard", "Knife", "Lamp", "Mat", "Mug",
    "Notebook", "Pan", "Pillow", "Plate", "Shelf", "Shoes", "Speaker", "Table", "Tent",
    "Towel", "Umbrella", "Wallet", "Watch",
)  # fmt: skip
_PRODUCT_POOL_SIZE = 2000


def _product_names() -> np.ndarray:
    # Faker has no product provider: compose "Adjective Material Noun" names and
    # keep a seeded sample of the combinations so the pool is not one long grid.
    combos = [
        f"{a} {m} {n}"
        for a, m, n in itertools.product(_PRODUCT_ADJECTIVES, _PRODUCT_MATERIALS, _PRODUCT_NOUNS)
    ]
    rng = np.random.default_rng(_seed("product_name"))
    picked = rng.choice(len(combos), size=min(_PRODUCT_POOL_SIZE, len(combos)), replace=False)
    return np.array(sorted(combos[i] for i in picked), dtype=object)


def _us_state_abbreviations(faker: Faker) -> dict[str, str]:
    provider = next(p for p in faker.providers if hasattr(p, "states_postcode"))
    abbreviations = [a for a in provider.states_abbr if a != "DC"]
    return dict(zip(provider.states, abbreviations, strict=True))


@cache
def location_pool(locale: str = "en_US") -> pa.Table:
    """Consistent (city, state, country, postal_code) rows for ``locale``.

    Each city lies in one state, each postal code in one city, and the
    country is the locale's country, so the columns form the functional
    dependencies a normalisation exercise expects. The places are fictitious
    combinations (Faker's cities and regions), not a gazetteer. In en_US the
    ZIP codes fall in their state's real range.
    """
    _check(None, locale)
    faker = _faker(locale, "location")
    country = faker.current_country()
    us_states = _us_state_abbreviations(faker) if locale == "en_US" else {}
    cities: list[str] = []
    seen_cities: set[str] = set()
    attempts = 0
    while len(cities) < _LOCATION_CITIES and attempts < _LOCATION_CITIES * 10:
        attempts += 1
        city = " ".join(faker.city().split())
        if city and city not in seen_cities:
            seen_cities.add(city)
            cities.append(city)
    rows: list[tuple[str, str, str]] = []
    seen_codes: set[str] = set()
    for city in cities:
        state = faker.administrative_unit()
        for _ in range(faker.random_int(1, 3)):
            if state in us_states:
                code = faker.postcode_in_state(us_states[state])
            else:
                code = faker.postcode()
            if code not in seen_codes:
                seen_codes.add(code)
                rows.append((state, city, code))
    rows.sort()
    table = pa.table(
        {
            "city": pa.array([r[1] for r in rows], pa.string()),
            "state": pa.array([r[0] for r in rows], pa.string()),
            "country": pa.array([country] * len(rows), pa.string()),
            "postal_code": pa.array([r[2] for r in rows], pa.string()),
        }
    )
    return table
