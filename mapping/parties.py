"""Split printed party lists ("Igor Karp, Sunnyvale, CA (US); Lev Stesin, ...") into parties."""

from __future__ import annotations

import re

ORG_WORDS = re.compile(
    r"\b(inc|llc|ltd|limited|corp|corporation|co|company|gmbh|ag|kg|sa|s\.a|sas|sarl|bv|b\.v|nv|n\.v"
    r"|plc|kabushiki|kaisha|k\.k|oy|ab|spa|s\.p\.a|srl|lp|l\.p|llp|university|universit[äéy]"
    r"|institute|institut|foundation|technologies|technology|systems|group|holdings|industries"
    r"|laboratories|labs|gesellschaft|société|societe|association|trust|partners|electronics)\b\.?",
    re.IGNORECASE,
)
# Parts after a comma that still belong to the name
NAME_SUFFIX = re.compile(
    r"^(inc|llc|ltd|l\.?l\.?c|co|corp|jr|sr|ii|iii|iv|l\.p|lp|llp|plc|gmbh|ag|s\.a|n\.v|b\.v)\.?$",
    re.IGNORECASE,
)
COUNTRY = re.compile(r"\(\s*([A-Z]{2})\s*\)")


def split_parties(text: str) -> list[tuple[str, str | None, str | None, tuple[int, int]]]:
    """Parties as (name, residence, country, (start, end) in text), in printed order."""
    out = []
    pos = 0
    for chunk in re.split(r"(;|\band\b(?=\s+[A-Z][a-z]+\s+[A-Z]))", text):
        start = pos
        pos += len(chunk)
        if chunk in (";",) or re.fullmatch(r"\band\b", chunk or "") or not chunk.strip():
            continue
        name, residence, country = parse_party(chunk)
        if name:
            lead = len(chunk) - len(chunk.lstrip())
            out.append((name, residence, country, (start + lead, start + len(chunk.rstrip()))))
    return out


def parse_party(chunk: str) -> tuple[str, str | None, str | None]:
    text = " ".join(chunk.replace("\n", " ").split()).strip(" ,.;:")
    country_match = COUNTRY.search(text)
    country = country_match[1] if country_match else None
    if country_match:
        text = text[: country_match.start()].strip(" ,")
    parts = [p.strip() for p in text.split(",")]
    name_parts = [parts[0]] if parts else []
    rest = parts[1:]
    while rest and NAME_SUFFIX.match(rest[0]):
        name_parts.append(rest.pop(0))
    name = ", ".join(p for p in name_parts if p)
    residence = ", ".join(p for p in rest if p) or None
    return name.strip(" ,;"), residence, country


def is_organisation(name: str) -> bool:
    return bool(ORG_WORDS.search(name)) or (name.isupper() and len(name.split()) > 2)
