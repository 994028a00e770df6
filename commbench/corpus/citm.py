"""citm_catalog.json-like: a ticketing catalog, key-heavy dicts of small ints.

Maps keyed by id strings (events, names), performances with lists of prices and
seat categories; few strings, many 9-digit ids.
"""

from __future__ import annotations

import random
from typing import Any

from commbench.corpus import Payload

EVENTS = 120
PERFORMANCES = 160

_AREA_WORDS = (
    "Parterre", "Balcon", "Corbeille", "Loge", "Galerie", "Fauteuil", "Arrière-scène",
    "Mezzanine", "Amphithéâtre", "Strapontin",
)  # fmt: skip
_SIDES = ("central", "cour", "jardin", "côté cour", "côté jardin", "face", "latéral")
_CATEGORIES = ("Abonné", "Adulte", "Jeune", "Tarif réduit", "Groupe", "Étudiant", "Senior")
_TOPICS = (
    "Musique classique", "Opéra", "Danse", "Jazz", "Théâtre", "Famille", "Récital",
    "Musique de chambre", "Symphonique", "Contemporain", "Baroque", "Chanson",
)  # fmt: skip
_TITLES = (
    "Orchestre de Paris", "Les Arts Florissants", "Quatuor Ébène", "30th Anniversary Tour",
    "Carmen", "La Traviata", "Le Sacre du printemps", "Requiem", "Gala d'ouverture",
    "Concert du Nouvel An", "Intégrale des sonates", "Bach, Passion selon saint Jean",
)  # fmt: skip
_VENUES = {"PLEYEL_PLEYEL": "Salle Pleyel", "CHATELET_CHATELET": "Théâtre du Châtelet"}


def _ids(rng: random.Random, n: int) -> list[int]:
    return sorted(rng.sample(range(100_000_000, 400_000_000), n))


def _names(rng: random.Random, ids: list[int], words: tuple[str, ...]) -> dict[str, str]:
    return {str(i): f"{rng.choice(words)} {rng.choice(_SIDES)}".strip() for i in ids}


def _event(rng: random.Random, eid: int, topics: list[int], subs: list[int]) -> dict[str, Any]:
    return {
        "description": None,
        "id": eid,
        "logo": f"/images/UE0AAAAAC{rng.randrange(10**6):06d}" if rng.random() < 0.3 else None,
        "name": rng.choice(_TITLES),
        "sub_topic_ids": sorted(rng.sample(subs, rng.randint(1, 4))),
        "subject_code": None,
        "subtitle": rng.choice(_TOPICS) if rng.random() < 0.1 else None,
        "topic_ids": sorted(rng.sample(topics, rng.randint(1, 3))),
    }


def _performance(
    rng: random.Random, pid: int, event_id: int, ids: dict[str, list[int]]
) -> dict[str, Any]:
    cats = rng.sample(ids["seat_categories"], rng.randint(2, 6))
    audience = rng.sample(ids["audience"], rng.randint(1, 2))
    return {
        "event_id": event_id,
        "id": pid,
        "logo": None,
        "name": None,
        "prices": [
            {
                "amount": rng.randrange(10, 200) * 250,
                "audience_sub_category_id": a,
                "seat_category_id": c,
            }
            for c in cats
            for a in audience
        ],
        "seat_categories": [
            {
                "areas": [
                    {"area_id": a, "block_ids": []}
                    for a in rng.sample(ids["areas"], rng.randint(2, 10))
                ],
                "seat_category_id": c,
            }
            for c in cats
        ],
        "seat_map_image": None,
        "start": 1_372_701_600_000 + rng.randrange(0, 300) * 86_400_000,
        "venue_code": rng.choice(sorted(_VENUES)),
    }


def generate(seed: int) -> Payload:
    """The catalog (message ``CitmCatalog``)."""
    rng = random.Random(seed)
    ids = {
        "areas": _ids(rng, 24),
        "audience": _ids(rng, 6),
        "seat_categories": _ids(rng, 40),
        "topics": _ids(rng, 12),
        "sub_topics": _ids(rng, 40),
        "events": _ids(rng, EVENTS),
        "performances": _ids(rng, PERFORMANCES),
    }
    events = {str(e): _event(rng, e, ids["topics"], ids["sub_topics"]) for e in ids["events"]}
    performances = [
        _performance(rng, p, rng.choice(ids["events"]), ids) for p in ids["performances"]
    ]
    value = {
        "area_names": _names(rng, ids["areas"], _AREA_WORDS),
        "audience_sub_category_names": {str(i): rng.choice(_CATEGORIES) for i in ids["audience"]},
        "block_names": {},
        "events": events,
        "performances": performances,
        "seat_category_names": {
            str(i): f"Catégorie {n + 1}" for n, i in enumerate(ids["seat_categories"])
        },
        "sub_topic_names": {str(i): rng.choice(_TOPICS) for i in ids["sub_topics"]},
        "subject_names": {},
        "topic_names": {str(i): rng.choice(_TOPICS) for i in ids["topics"]},
        "topic_sub_topics": {
            str(t): sorted(rng.sample(ids["sub_topics"], rng.randint(1, 8))) for t in ids["topics"]
        },
        "venue_names": dict(_VENUES),
    }
    return Payload(
        name="citm",
        value=value,
        message="CitmCatalog",
        source="builtin",
        description=f"citm_catalog-like: {EVENTS} events keyed by id, {PERFORMANCES} "
        "performances; many small ints, few strings",
        params={"seed": seed, "events": EVENTS, "performances": PERFORMANCES},
    )
