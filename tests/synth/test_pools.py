"""Locale value pools: complete, distinct, cached, and identical in every process."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pyarrow.compute as pc
import pytest

from datagen_lti.synth.pools import (
    LOCALES,
    POOL_KINDS,
    UnknownPoolError,
    location_pool,
    pool,
)

KINDS = sorted(POOL_KINDS)


def digest(values: np.ndarray) -> str:
    return hashlib.sha256("\n".join(values).encode()).hexdigest()


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_gives_a_sorted_pool_of_strings(kind: str) -> None:
    values = pool(kind)
    assert values.dtype == object
    assert len(values) >= 3
    assert all(isinstance(v, str) and v and v == v.strip() for v in values)
    assert list(values) == sorted(values)
    if kind != "email_domain":  # repeats there weight the common providers
        assert len(set(values)) == len(values)
    assert not values.flags.writeable


def test_pools_are_large_enough_to_look_varied() -> None:
    assert len(pool("first_name")) >= 300
    assert len(pool("last_name")) >= 300
    assert len(pool("street_address")) >= 1000
    assert len(pool("sentence")) >= 1000
    assert len(pool("product_name")) == 2000


def test_pools_are_cached_per_process() -> None:
    assert pool("city", "en_US") is pool("city", "en_US")
    assert location_pool("en_US") is location_pool("en_US")


def test_email_domains_favour_free_mail_providers() -> None:
    domains = pool("email_domain")
    assert all("." in d and " " not in d for d in domains)
    _, counts = np.unique(domains, return_counts=True)
    assert counts.max() >= 100  # e.g. gmail.com


def test_product_names_read_like_products() -> None:
    names = pool("product_name")
    assert all(len(name.split()) >= 3 for name in names)
    assert pool("product_name", "de_DE") is not None


def test_locales_differ() -> None:
    assert digest(pool("first_name", "de_DE")) != digest(pool("first_name", "en_US"))
    # Locales without their own word list borrow one instead of Faker's Latin filler.
    assert list(pool("sentence", "en_GB")) == list(pool("sentence", "en_US"))


def test_unknown_kind_or_locale_names_the_valid_choices() -> None:
    with pytest.raises(UnknownPoolError, match="unknown text kind 'nickname'.*first_name"):
        pool("nickname")
    with pytest.raises(UnknownPoolError, match="unsupported locale 'xx_XX'.*en_US"):
        pool("city", "xx_XX")
    with pytest.raises(ValueError, match="unsupported locale"):
        location_pool("klingon")


def test_location_rows_are_consistent_combinations() -> None:
    table = location_pool("en_US")
    assert table.column_names == ["city", "state", "country", "postal_code"]
    assert table.num_rows >= 300
    rows = table.to_pylist()
    state_of_city: dict[str, str] = {}
    for row in rows:
        assert state_of_city.setdefault(row["city"], row["state"]) == row["state"]
    codes = table["postal_code"].to_pylist()
    assert len(set(codes)) == len(codes)  # each postal code belongs to one city
    assert pc.unique(table["country"]).to_pylist() == ["United States"]
    # ZIP codes fall in their state's range.
    california = [r["postal_code"] for r in rows if r["state"] == "California"]
    assert california and all(code.startswith("9") for code in california)


@pytest.mark.parametrize("locale", ["de_DE", "ja_JP"])
def test_location_pool_for_other_locales(locale: str) -> None:
    table = location_pool(locale)
    assert table.num_rows >= 100
    assert all(column.null_count == 0 for column in table.columns)
    assert len(pc.unique(table["country"])) == 1


def test_pools_are_identical_in_a_fresh_process() -> None:
    kinds = ["last_name", "street_address", "email_domain", "product_name"]
    script = (
        "import hashlib\n"
        "from datagen_lti.synth.pools import pool, location_pool\n"
        f"for kind in {kinds!r}:\n"
        "    print(hashlib.sha256('\\n'.join(pool(kind, 'fr_FR')).encode()).hexdigest())\n"
        "t = location_pool('fr_FR')\n"
        "print(hashlib.sha256(repr(t.to_pylist()).encode()).hexdigest())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    expected = [digest(pool(kind, "fr_FR")) for kind in kinds]
    expected.append(hashlib.sha256(repr(location_pool("fr_FR").to_pylist()).encode()).hexdigest())
    assert result.stdout.split() == expected


@pytest.mark.slow
@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_locale_supports_every_kind(locale: str) -> None:
    for kind in KINDS:
        assert len(pool(kind, locale)) >= 3, kind
    assert location_pool(locale).num_rows >= 50
