"""Imported values made comparable: countries as ISO 3166 alpha-2 codes, and names (source,
campaign, segment) that differ only in case or spacing spelled one way.

The normalisers are pure and look at each distinct value of a column once, then map the
answers back by position: a million rows with a few hundred distinct values cost one
factorize. Two reads at the end fetch what they compare with: the active definition's
rules and the spellings already stored.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pycountry
from sqlalchemy import select
from sqlmodel import Session

from leaddash.agreements import active_version
from leaddash.definitions import RULE_SECTIONS, rule_phrase
from leaddash.models import AgreementKind
from leaddash.scoring_io import LEADS

# Spellings people use that pycountry does not know (it knows codes, English names such as
# "South Korea" or "Czech Republic", and the names in LANGUAGES).
COUNTRY_VARIANTS = {
    "UK": "GB",
    "U.K.": "GB",
    "Great Britain": "GB",
    "Britain": "GB",
    "England": "GB",
    "Scotland": "GB",
    "Wales": "GB",
    "Northern Ireland": "GB",
    "U.S.": "US",
    "U.S.A.": "US",
    "America": "US",
    "United States of America": "US",
    "Russia": "RU",
    "Holland": "NL",
    "Turkey": "TR",
    "UAE": "AE",
    "U.A.E.": "AE",
    "Macedonia": "MK",
    "Ivory Coast": "CI",
    "Burma": "MM",
    "Swaziland": "SZ",
    "Cape Verde": "CV",
    "Vatican": "VA",
    "Vatican City": "VA",
    "Brunei": "BN",
    "Macau": "MO",
    "Republic of Korea": "KR",
    "Korea, South": "KR",
    "Korea, North": "KP",
    "DR Congo": "CD",
    "DRC": "CD",
    "Democratic Republic of the Congo": "CD",
    "Congo-Kinshasa": "CD",
    "Congo-Brazzaville": "CG",
    "Palestine": "PS",
    "Micronesia": "FM",
    "East Timor": "TL",
    "Czech Rep.": "CZ",
}
LANGUAGES = ("de", "fr", "es", "it", "nl", "pt", "sv", "da", "nb", "fi", "pl")
COUNTRY_OPERATORS = ("eq", "in")
NAMED_FIELDS = ("source", "campaign", "segment")
EXAMPLES = 3
NOT_A_WORD = re.compile(r"\W+")


# --- countries -----------------------------------------------------------------------------


def _key(text: str) -> str:
    """Return `text` as we compare spellings: case, accents, punctuation and a leading
    "the" ignored ("The Côte d'Ivoire" and "cote d ivoire" share a key)."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in folded if not unicodedata.combining(c))
    words = NOT_A_WORD.sub(" ", letters).split()
    return " ".join(words[1:] if words[:1] == ["the"] else words)


def _english_names(country: Any) -> list[str]:
    return [
        n
        for n in (getattr(country, a, None) for a in ("name", "official_name", "common_name"))
        if n
    ]


@cache
def _country_index() -> dict[str, str]:
    """Return the alpha-2 code of every spelling we know, by key: codes first, then English
    names, common variants and names in LANGUAGES (the earlier one wins a clash)."""
    countries = list(pycountry.countries)
    english = [(name, c.alpha_2) for c in countries for name in _english_names(c)]
    translations = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        for lang in LANGUAGES
    ]
    spellings = [
        *((c.alpha_2, c.alpha_2) for c in countries),
        *((c.alpha_3, c.alpha_2) for c in countries),
        *english,
        *COUNTRY_VARIANTS.items(),
        *((t.gettext(name), code) for t in translations for name, code in english),
    ]
    index: dict[str, str] = {}
    for spelling, code in spellings:
        index.setdefault(_key(spelling), code)
    return index


def country_code(text: str) -> str | None:
    """Return the ISO 3166 alpha-2 code `text` names (a code, a name, a common variant), or
    None when it names no country we know."""
    return _country_index().get(_key(text))


def country_codes(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return each value as its alpha-2 code (as written when it names no country we know;
    missing when missing) and a mask of the filled values that were kept as written."""
    positions, distinct_values = pd.factorize(values)
    found = [country_code(str(v)) for v in distinct_values]
    # Position -1 (a missing value) picks the last entry: missing, and not flagged.
    stored = np.array(
        [c or v for c, v in zip(found, distinct_values, strict=True)] + [None], dtype=object
    )
    unknown = np.array(
        [c is None and bool(str(v).strip()) for c, v in zip(found, distinct_values, strict=True)]
        + [False]
    )
    return (
        pd.Series(stored[positions], index=values.index, dtype=values.dtype),
        pd.Series(unknown[positions], index=values.index),
    )


def country_rules(rules: Iterable[dict[str, Any]], field: str = "country") -> list[dict[str, Any]]:
    """Return the rules that need `field` to name a listed country (eq and in)."""
    return [r for r in rules if r.get("field") == field and r.get("op") in COUNTRY_OPERATORS]


def _rule_names(rules: Sequence[dict[str, Any]]) -> str:
    named = ", ".join(
        f"{r['id']} “{(r.get('label') or '').strip() or rule_phrase(r)}”" for r in rules
    )
    return ("rule " if len(rules) == 1 else "rules ") + named


def _rows(count: int) -> str:
    return f"{count:,} row" + ("" if count == 1 else "s")


def unknown_countries_warning(
    count: int, examples: Sequence[tuple[int, str]], rules: Sequence[dict[str, Any]]
) -> str:
    """Return the warning for `count` rows whose country is not recognised, showing the
    `examples` (row number, value) and naming the definition's country `rules`."""
    shown = ", ".join(f"row {row}: {value!r}" for row, value in examples)
    more = " …" if count > len(examples) else ""
    named = f" ({_rule_names(rules)})" if rules else ""
    return (
        f"Country not recognised in {_rows(count)} ({shown}{more}), kept as written: no "
        f"country rule of the definition can match them{named}. Correct them to a "
        "country name or code, or leave them as they are: these leads will never meet "
        "a country rule."
    )


def _listed(rule: dict[str, Any]) -> list[str]:
    value = rule.get("value")
    return [str(v) for v in (value if isinstance(value, (list, tuple)) else [value])]


def rule_value_warnings(rules: Sequence[dict[str, Any]]) -> list[str]:
    """Return a warning per country rule that lists something other than an alpha-2 code:
    leads hold codes, so such a value never matches."""
    warnings = []
    for rule in rules:
        odd = [(v, country_code(v)) for v in _listed(rule) if country_code(v) != v.strip().upper()]
        if odd:
            listed = ", ".join(
                f"{v!r} (write {code})" if code else f"{v!r} (not a country)" for v, code in odd
            )
            warnings.append(
                f"The definition's {_rule_names([rule])} lists {listed}. "
                "Leads hold ISO country codes, so these never match: write the "
                "codes in the rule's next version."
            )
    return warnings


# --- names ---------------------------------------------------------------------------------


def tidy_name(text: str) -> str:
    """Return `text` trimmed, with every run of inner whitespace made one space."""
    return " ".join(text.split())


def canonical_names(
    values: pd.Series, stored: Iterable[str], voting: pd.Series | None = None
) -> pd.Series:
    """Return `values` tidied, names that differ only in case or spacing spelled one way:
    as `stored` spells it, else as most `voting` rows (default: all) do (a tie: the first
    seen)."""
    positions, distinct_values = pd.factorize(values)
    tidy = [tidy_name(str(v)) for v in distinct_values]
    votes = positions >= 0 if voting is None else (positions >= 0) & voting.to_numpy(bool)
    rows = np.bincount(positions[votes], minlength=len(tidy))
    chosen: dict[str, str] = {}
    for name in sorted(stored):  # sorted: the same choice on every database
        chosen.setdefault(tidy_name(name).casefold(), name)
    counts: dict[str, Counter[str]] = {}
    for name, count in zip(tidy, rows, strict=True):
        counts.setdefault(name.casefold(), Counter())[name] += int(count)
    for key, spellings in counts.items():
        chosen.setdefault(key, spellings.most_common(1)[0][0])
    spelled = np.array([chosen[n.casefold()] for n in tidy] + [None], dtype=object)
    return pd.Series(spelled[positions], index=values.index, dtype=values.dtype)


# --- what the database holds ---------------------------------------------------------------


def definition_rules(session: Session) -> list[dict[str, Any]]:
    """Return the fit rules and disqualifiers of the active definition (none before one)."""
    version = active_version(session, AgreementKind.DEFINITION)
    content = version.content if version else {}
    return [rule for section in RULE_SECTIONS for rule in content.get(section) or []]


def stored_names(session: Session, field: str) -> list[str]:
    """Return the distinct spellings the leads' column `field` holds."""
    column = LEADS[field]
    return list(
        session.connection().execute(select(column).distinct().where(column.is_not(None))).scalars()
    )
