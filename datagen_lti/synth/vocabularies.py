"""Domain vocabularies: products by category and price band, courses by department, job titles.

The vocabularies are JSON files in ``datagen_lti/synth/vocab`` (package data, read once per
process). Faker has no product, course or org-chart providers, so these are curated lists.
Category and department names match case-insensitively, also through each entry's aliases
("Computer Science" finds "Computing"); a name with no entry gets template-built values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np


@cache
def load(name: str) -> dict:
    """The parsed vocabulary file ``vocab/<name>.json``."""
    text = resources.files("datagen_lti.synth.vocab").joinpath(f"{name}.json").read_text("utf-8")
    return json.loads(text)


def _key(name: str) -> str:
    return " ".join(name.replace("&", "and").split()).casefold()


@cache
def _index(name: str, section: str | None = None) -> dict[str, str]:
    entries = load(name) if section is None else load(name)[section]
    index: dict[str, str] = {}
    for entry, body in entries.items():
        for alias in (entry, *body.get("aliases", ())):
            index.setdefault(_key(alias), entry)
    return index


def resolve(name: str, value: str | None, section: str | None = None) -> str | None:
    """The vocabulary entry a category or department value names, or None."""
    if value is None:
        return None
    return _index(name, section).get(_key(value))


# --- products ------------------------------------------------------------------------

TIERS = ("budget", "standard", "premium")
_GENERIC_TIERS = {
    "budget": ("Basic", "Essential", "Everyday", "Value"),
    "standard": ("Classic", "Compact", "Modern", "Standard"),
    "premium": ("Deluxe", "Premium", "Signature", "Select"),
}
_GENERIC_PRODUCTS = ("Starter Kit", "Gift Set", "Essentials Bundle", "Accessory Pack", "Sampler")


@dataclass(frozen=True)
class ProductCatalogue:
    """Nouns with price bands and adjectives per price tier, for one category."""

    nouns: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    tiers: dict[str, tuple[str, ...]]

    def labels(self) -> list[str]:
        """Every name, laid out as [noun][tier][adjective] for ``label_index``."""
        return [
            f"{adjective} {noun}"
            for noun in self.nouns
            for tier in TIERS
            for adjective in self.tiers[tier]
        ]

    @property
    def per_tier(self) -> int:
        return len(self.tiers[TIERS[0]])


@cache
def product_catalogue(category: str | None) -> ProductCatalogue:
    """The catalogue of a category (None: every category together; unknown: templates)."""
    products = load("products")
    entry = resolve("products", category) if category is not None else None
    if category is None:
        items = [item for body in products.values() for item in body["items"]]
        tiers = _GENERIC_TIERS
    elif entry is None:
        # No entry for this category: kits and sets named after it, with no price bands.
        items = [
            {"noun": f"{category} {thing}", "low": 0, "high": float("inf")}
            for thing in _GENERIC_PRODUCTS
        ]
        tiers = _GENERIC_TIERS
    else:
        items = products[entry]["items"]
        tiers = {tier: tuple(products[entry]["tiers"][tier]) for tier in TIERS}
    return ProductCatalogue(
        nouns=tuple(item["noun"] for item in items),
        low=np.array([item["low"] for item in items], dtype=np.float64),
        high=np.array([item["high"] for item in items], dtype=np.float64),
        tiers={tier: tuple(words) for tier, words in tiers.items()},
    )


# --- courses -------------------------------------------------------------------------

_GENERIC_COURSES = (
    "Introduction to {d}", "Foundations of {d}", "Topics in {d}", "Advanced {d}",
    "{d} Research Methods", "{d} Seminar", "History of {d}", "{d} in Practice",
    "Contemporary {d}", "{d} Capstone Project", "Theory of {d}", "Applied {d}",
)  # fmt: skip


@cache
def course_titles(department: str | None) -> tuple[str, ...]:
    """Course titles of a department (None: every department; unknown: built from templates)."""
    courses = load("courses")
    if department is None:
        return tuple(sorted({t for body in courses.values() for t in body["titles"]}))
    entry = resolve("courses", department)
    if entry is None:
        return tuple(t.format(d=department) for t in _GENERIC_COURSES)
    return tuple(courses[entry]["titles"])


# --- job titles ----------------------------------------------------------------------


def chief_titles() -> tuple[str, ...]:
    """C-level titles, the chief executive first."""
    return tuple(load("job_titles")["chief"])


@cache
def level_titles(level: str, department: str | None) -> tuple[str, ...]:
    """Titles of ``level`` (executive, manager or staff) in a department (None: generic)."""
    jobs = load("job_titles")
    entry = resolve("job_titles", department, "departments")
    name = entry or department
    if level == "staff":
        if entry is not None:
            return tuple(jobs["departments"][entry]["staff"])
        return tuple(jobs["staff_generic"])
    if name is None:
        return {
            "executive": ("Vice President", "Senior Director", "Director"),
            "manager": ("Senior Manager", "Manager", "Team Lead"),
        }[level]
    return tuple(t.format(department=name) for t in jobs[level])
