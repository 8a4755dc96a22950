"""The vectorised IPC subclass repair gives exactly the figures and choices of the plain
definition (`mapping.ipc._distance` over every subclass, sorted by cost then name).

Tokens are generated, not read from files: subclasses damaged the way OCR damages bold italic
print (the confusions the cost table lists, a character dropped or doubled), plus seeded random
strings of the symbol alphabet.
"""

from __future__ import annotations

import random

import numpy as np

from mapping import ipc

_LOOKALIKE = {"0": "OoDQU", "1": "Il|!i", "4": "Aah", "5": "Ss", "8": "B3S", "6": "Gb", "2": "Zz",
              "9": "gq", "7": "T", "B": "8", "G": "6C", "N": "MH", "F": "EP", "Q": "0O"}  # fmt: skip


def _damaged(rng: random.Random, name: str) -> str:
    chars = list(name)
    for _ in range(rng.randint(1, 2)):
        i = rng.randrange(len(chars))
        what = rng.random()
        if what < 0.6 and chars[i] in _LOOKALIKE:
            chars[i] = rng.choice(_LOOKALIKE[chars[i]])
        elif what < 0.8:
            chars.insert(i, chars[i])  # read twice
        elif len(chars) > 3:
            del chars[i]  # dropped
        else:
            chars[i] = chars[i].lower()
    return "".join(chars)


def _tokens() -> list[str]:
    rng = random.Random(20261126)
    names = sorted(ipc.subclasses())
    damaged = [_damaged(rng, rng.choice(names)) for _ in range(40)]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789|!"
    noise = ["".join(rng.choice(alphabet) for _ in range(rng.randint(3, 6))) for _ in range(12)]
    return damaged + noise + ["HOAN", "GO06F", "HOSB", "G060", "HOA4N", "GIOL", "GOSB", "Ceo"]


def _reference(token: str, context: frozenset[str]) -> ipc.Repair | None:
    """repair_subclass as first written: every subclass scored in Python, sorted."""
    known = ipc.subclasses()
    if token.upper() in known or token in known:
        return ipc.Repair(token.upper(), 0.0)
    if ipc._CLEAN.match(token) and token[0] == "Y":
        return ipc.Repair(token, 0.0)
    if not 3 <= len(token) <= 6:
        return None
    scored = sorted(
        (ipc._distance(token, sc) - (0.05 if sc in context else 0.0), sc) for sc in known
    )
    (best_cost, best), (second_cost, _) = scored[0], scored[1]
    if best_cost <= ipc.MAX_COST:
        return ipc.Repair(
            best, round(max(0.0, best_cost), 2), second_cost - best_cost < ipc.AMBIGUOUS
        )
    if ipc._CLEAN.match(token.upper()):
        return ipc.Repair(token.upper(), 0.5)
    return None


def test_distances_equal_the_definition() -> None:
    names = ipc._table().names
    for token in _tokens()[::4]:
        expected = np.array([ipc._distance(token, n) for n in names])
        assert np.array_equal(ipc._distances(token), expected), token


def test_repairs_equal_the_definition_with_and_without_context() -> None:
    contexts = [frozenset(), frozenset({"G08B", "H04N"}), frozenset({"G05B", "G06F", "H04L"})]
    tokens = _tokens()
    repaired = 0
    for i, token in enumerate(tokens):
        context = contexts[i % len(contexts)]
        got = ipc.repair_subclass.__wrapped__(token, context)
        assert got == _reference(token, context), (token, context)
        repaired += got is not None and got.cost > 0
    assert repaired > len(tokens) // 2  # the set really exercises the repair
