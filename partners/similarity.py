"""How alike two organisations' names are: the key they are compared on, and trigram similarity.

Three sheets write one organisation three ways: "Coop. Sociale Il Ponte", "Cooperativa sociale il
Ponte onlus", "IL PONTE Società Cooperativa Sociale". `name_key` folds a name as projects.names does
(case, accents, apostrophes, dots and dashes ignored), spells out the usual abbreviations ("Ass." is
"associazione") and drops the words of the legal form ("cooperativa sociale", "associazione", "onlus",
"s.r.l.", "impresa sociale"…), articles and prepositions, which say little about which organisation it
is: all three become "ponte", as "Associazione Il Faro" and "Il Faro APS" both become "faro".

Similarity is PostgreSQL's pg_trgm's, computed the same way in Python: the share of distinct
three-letter pieces two keys have in common, each word padded with two spaces before and one after.
`similar_pairs` finds every pair of keys at least that alike without comparing all pairs: an inverted
index over the rarest trigrams of each key (PPJoin's prefix and position filters), then the exact
similarity of the few candidates; `similar_to` looks some keys up among many the same way. Pure Python,
so that it tests in microseconds; the database side is partners.duplicates.
"""

from __future__ import annotations

import functools
import math
import re
import struct
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable

# The partners app cannot import projects.names: these are its separators and its dotted acronyms.
_DOTTED_LETTERS = re.compile(r"\b(?:\w\.){2,}(?!\w)")
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")
# Letters NFKD does not take apart, written as Italian readers would type them.
_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})

# Abbreviations sources write for a word of the name itself: spelled out, so that both spellings match.
ABBREVIATIONS = {
    "ass": "associazione",
    "assoc": "associazione",
    "ass.ne": "associazione",
    "fond": "fondazione",
    "cons": "consorzio",
    "coop.va": "cooperativa",
}

# Words of the legal form, folded (after abbreviations are spelled out): they weigh nothing in the key.
# Longer forms first, so that "societa cooperativa sociale" goes whole before "sociale" alone.
LEGAL_FORMS = sorted(
    [
        "associazione di promozione sociale",
        "associazione di volontariato",
        "organizzazione di volontariato",
        "associazione",
        "organizzazione non lucrativa di utilita sociale",
        "ente del terzo settore",
        "impresa sociale",
        "societa cooperativa sociale",
        "societa cooperativa",
        "cooperativa sociale",
        "cooperativa",
        "coop",
        "societa",
        "soc",
        "sociale",
        "a r l",
        "a rl",
        "arl",
        "onlus",
        "aps",
        "odv",
        "ets",
        "ong",
        "scs",
        "sc",
        "scrl",
        "scarl",
        "srl",
        "srls",
        "spa",
        "sas",
        "snc",
        "asd",
        "ssd",
    ],
    key=lambda form: (-len(form.split()), -len(form), form),
)
# Articles and prepositions: "Il Ponte" and "Ponte", "Casa dei Popoli" and "Casa Popoli" are one name.
LINKING_WORDS = frozenset(
    "a ad al alla alle ai agli all con d da dal dalla dai de dei del della delle dello degli di e ed gli i il in "
    "l la le lo nel nella nei per su sul sulla the of and".split()
)
KEY_LENGTH = 255  # Partner.name_key's max_length
PAIR_THRESHOLD = 0.7  # two organisations whose names are at least this alike may be one (partners.duplicates)
_LEGAL_FORM = re.compile(r"\b(?:" + "|".join(re.escape(form) for form in LEGAL_FORMS) + r")\b")
_ABBREVIATION = re.compile(r"(?<![\w.])(" + "|".join(re.escape(word) for word in ABBREVIATIONS) + r")\.?(?=\s|$)")


@functools.lru_cache(maxsize=65536)
def fold(name: str) -> str:
    """Lower case, no accents, every run of other characters than letters and digits one space."""
    decomposed = unicodedata.normalize("NFKD", name.lower().translate(_LETTERS))
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_ALPHANUMERIC.sub(" ", without_accents).strip()


@functools.lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """The key organisations are compared on: the name folded, abbreviations spelled out, legal form,
    articles and prepositions dropped.

    "Coop. Sociale Il Ponte" and "Cooperativa sociale il Ponte O.N.L.U.S." are both "ponte". A name
    that is nothing but those words ("Cooperativa sociale") keeps them, folded. Only the letters a-z and
    digits are kept, so that PostgreSQL's trigrams read the same words as this module's.
    """
    text = _DOTTED_LETTERS.sub(lambda match: match.group(0).replace(".", ""), name.lower())
    text = _ABBREVIATION.sub(lambda match: ABBREVIATIONS[match.group(1)], text)
    folded = fold(text)
    words = [word for word in _LEGAL_FORM.sub(" ", folded).split() if word not in LINKING_WORDS]
    return (" ".join(words) or folded)[:KEY_LENGTH]


def other_names(text: str) -> list[str]:
    """Partner.other_names, one name a line, as a list (blank lines dropped)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


@functools.lru_cache(maxsize=65536)
def trigrams(key: str) -> frozenset[str]:
    """pg_trgm's trigrams of a key: each word padded with two spaces before it and one after."""
    found = set()
    for word in key.split():
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(found)


def _float4(value: float) -> float:
    # pg_trgm computes similarity in single precision: rounded the same way, both sides agree at the threshold.
    return struct.unpack("f", struct.pack("f", value))[0]


def shared_similarity(common: int, first: int, second: int) -> float:
    """pg_trgm's similarity from the number of trigrams in common and in each key."""
    if first == 0 or second == 0:
        return 0.0
    return _float4(common / (first + second - common))


def similarity(first: str, second: str) -> float:
    """pg_trgm's similarity() of two keys, from 0 (no trigram in common) to 1 (the same trigrams)."""
    a, b = trigrams(first), trigrams(second)
    return shared_similarity(len(a & b), len(a), len(b))


def similar_pairs(keys: Iterable[tuple[Hashable, str]], threshold: float) -> dict[tuple[Hashable, Hashable], float]:
    """Every pair of owners with keys at least `threshold` alike, and their best similarity.

    `keys` are (owner, key) pairs: an owner may have several keys (its name, its other names), and its
    own keys are never compared with each other. Owners must be orderable; each pair comes once, as
    (smaller, larger). Never all pairs: keys are read in order of size, each through an inverted index of
    the rarest trigrams of those read before (PPJoin: two keys this alike share one of the rarest
    `n - ceil(threshold * n) + 1` trigrams of each, and a candidate is dropped as soon as the trigrams
    left could no longer reach the overlap the threshold needs); the few candidates left are compared exactly.
    """
    if not 0 < threshold <= 1:
        raise ValueError("the threshold is a similarity above 0 and at most 1")
    entries = [(owner, trigrams(key)) for owner, key in keys]
    entries = [(owner, grams) for owner, grams in entries if grams]
    frequency = Counter(gram for _, grams in entries for gram in grams)
    entries.sort(key=lambda entry: len(entry[1]))
    ordered = [sorted(grams, key=lambda gram: (frequency[gram], gram)) for _, grams in entries]
    # A little below the bounds, so that float rounding never drops a pair: candidates are checked exactly.
    slack = 1e-6
    share = threshold / (1 + threshold)  # Jaccard >= t means overlap >= t / (1 + t) * (|x| + |y|)
    index: dict[str, list[tuple[int, int]]] = defaultdict(list)
    found: dict[tuple[Hashable, Hashable], float] = {}
    for position, (owner, grams) in enumerate(entries):
        tokens, size = ordered[position], len(grams)
        probe = size - math.ceil(threshold * size - slack) + 1
        indexed = size - math.ceil(2 * share * size - slack) + 1
        smallest = threshold * size - slack
        overlap: dict[int, int] = {}
        for i, gram in enumerate(tokens[:probe]):
            for other, j in index.get(gram, ()):
                other_size = len(entries[other][1])
                if other_size < smallest or overlap.get(other, 0) < 0:
                    continue
                needed = math.ceil(share * (size + other_size) - slack)
                seen = overlap.get(other, 0) + 1
                overlap[other] = seen if seen + min(size - i - 1, other_size - j - 1) >= needed else -1
            if i < indexed:
                index[gram].append((position, i))
        for other, seen in overlap.items():
            other_owner, other_grams = entries[other]
            if seen <= 0 or other_owner == owner:
                continue
            score = shared_similarity(len(grams & other_grams), size, len(other_grams))
            if score < threshold:
                continue
            pair = (owner, other_owner) if owner < other_owner else (other_owner, owner)
            if score > found.get(pair, -1.0):
                found[pair] = score
    return found


def similar_to(
    queries: Iterable[str], keys: Iterable[tuple[Hashable, str]], threshold: float
) -> list[dict[Hashable, float]]:
    """For each query key, the owners of `keys` at least `threshold` alike to it, with their best similarity.

    Each query is looked up in an inverted index of every trigram of `keys` through the rarest
    `n - ceil(threshold * n) + 1` of its own trigrams: a key this alike holds at least one of them.
    """
    if not 0 < threshold <= 1:
        raise ValueError("the threshold is a similarity above 0 and at most 1")
    index: dict[str, list[tuple[Hashable, frozenset[str]]]] = defaultdict(list)
    for owner, key in keys:
        grams = trigrams(key)
        for gram in grams:
            index[gram].append((owner, grams))
    found: list[dict[Hashable, float]] = []
    for query in queries:
        grams, scores = trigrams(query), {}
        size = len(grams)
        by_rarity = sorted(grams, key=lambda gram: (len(index.get(gram, ())), gram))
        for gram in by_rarity[: size - math.ceil(threshold * size - 1e-6) + 1]:
            for owner, other in index.get(gram, ()):
                score = shared_similarity(len(grams & other), size, len(other))
                if score >= threshold and score > scores.get(owner, -1.0):
                    scores[owner] = score
        found.append(scores)
    return found
