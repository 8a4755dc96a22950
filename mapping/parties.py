"""Split printed party lists ("Igor Karp, Sunnyvale, CA (US); Lev Stesin, ...") into parties."""

from __future__ import annotations

import re

ORG_WORDS = re.compile(
    r"\b(inc|llc|ltd|limited|corp|corporation|co|company|gmbh|ag|kg|sa|s\.a|sas|sarl|bv|b\.v|nv|n\.v"
    r"|plc|kabushiki|kaisha|k\.k|oy|ab|spa|s\.p\.a|srl|lp|l\.p|llp|university|universit[äéy]"
    r"|institute|institut|foundation|technologies|technology|systems|group|holdings|industries"
    r"|laboratories|labs|gesellschaft|société|societe|association|trust|partners|electronics"
    r"|incorporated|aktiengesellschaft|aktiebolag|aktiebolaget|telefonaktiebolaget|sp\.\s*z\s*o\.\s*o"
    r"|establishment|etablissements?|werke?|fabrik|compagnie|cie|ltda|pty|gmbh\s*&\s*co)\b\.?",
    re.IGNORECASE,
)
# Parts after a comma that still belong to the name
NAME_SUFFIX = re.compile(
    r"^(inc|llc|ltd|l\.?l\.?c|co|corp|jr|sr|ii|iii|iv|l\.?\s?p|lp|llp|plc|gmbh|ag|s\.a|n\.v|b\.v"
    r"|kg|s\.?a\.?s|s\.?a\.?r\.?l|oy|ab|a/s|as|spa|s\.p\.a|s\.r\.l|ltda|pty\.?\s*ltd|k\.k"
    r"|(?:co\.?,?\s*)?ltd|inc\.?\s*\(\w+\)|\((?:publ|the)\))\.?$",
    re.IGNORECASE,
)
COUNTRY = re.compile(r"\(\s*([A-Z]{2})\s*\)")
# "...; and Jane Doe" / "both of Chicago, Ill." (older US lists)
_LEADING_AND = re.compile(r"^\s*(?:and|und|et)\s+", re.IGNORECASE)


def split_parties(text: str) -> list[tuple[str, str | None, str | None, tuple[int, int]]]:
    """Parties as (name, residence, country, (start, end) in text), in printed order.

    Entries are separated by ';' (all offices' usual separator). A country in brackets
    '(US)' followed by a new name also ends an entry when the ';' was not read, or was read as
    ':' or ','.
    """
    out = []
    pos = 0
    chunks = re.split(r"(;|(?<=\([A-Z]{2}\))\s*[,.:]?\s+(?=[A-Z][a-z]))", text)
    for chunk in chunks:
        start = pos
        pos += len(chunk)
        if chunk is None or not chunk.strip() or re.fullmatch(r";|\s*[,.:]?\s+", chunk):
            continue
        lead = len(chunk) - len(_LEADING_AND.sub("", chunk.lstrip()))
        body = chunk[lead:]
        name, residence, country = parse_party(body)
        if name:
            out.append((name, residence, country, (start + lead, start + len(chunk.rstrip()))))
    return out


def repair_legal_forms(name: str) -> str:
    """OCR artefacts in common legal forms and numerals: 'CoO., LTD.' -> 'CO., LTD.',
    'Sp. z 0. 0.' -> 'Sp. z o. o.', 'Google Ine.' -> 'Google Inc.', 'Holdings Il' -> 'Holdings II'."""
    upper = re.sub(r"\bC[oO0]{1,2}\.", "", name).isupper()
    name = re.sub(r"\bC[oO0]{1,2}\.(?=,?\s*L[tT][dD])", "CO." if upper else "Co.", name)
    name = re.sub(r"\b([Zz]) [o0O]\. ?[o0O]\.", lambda m: f"{m[1]} o. o.", name)
    name = re.sub(r"(?<=[\s,])Ine\.?$", "Inc.", name)  # c read as e
    # Roman numerals after a word: 'Mobility Il' -> 'Mobility II' (l and 1 for I)
    name = re.sub(r"(?<=[A-Za-z] )(?:Il|lI|I1|1I|ll)(?=\b|,)", "II", name)
    if not is_organisation(name):  # 'Andrew II B Zhou': a generation follows the surname, so
        # 'II' before more of the name is an initial H whose bar a 1-bit scan broke
        name = re.sub(r"(?<=[A-Za-z] )II(?= [A-Z])", "H", name)
    return name


def parse_party(chunk: str) -> tuple[str, str | None, str | None]:
    text = " ".join(chunk.replace("\n", " ").split()).strip(" ,.;:")
    text = re.sub(r"^[^\w\"'“‘(]+", "", text)  # OCR specks before the name: '! SONY', ') TELE...'
    text = re.sub(r"^\)\s*", "", text)
    text = re.sub(r"\s+,", ",", text)
    country_match = COUNTRY.search(text)
    country = country_match[1] if country_match else None
    if country_match:
        text = text[: country_match.start()].strip(" ,")
    parts = [p.strip() for p in _name_period_as_comma(text).split(",")]
    name_parts = [parts[0]] if parts else []
    rest = parts[1:]
    while rest:
        if NAME_SUFFIX.match(rest[0]):
            name_parts.append(rest.pop(0))
            continue
        # the comma after a legal form read as a period: 'Locoroll, Inc.. Cupertino. CA'
        split = re.match(r"^(\S+?)\.{1,2}\s+(\S.*)$", rest[0])
        if not split or not NAME_SUFFIX.match(f"{split[1]}."):
            break
        name_parts.append(f"{split[1]}.")
        rest[0] = split[2]
    name = repair_legal_forms(", ".join(p for p in name_parts if p))
    residence = ", ".join(p for p in rest if p) or None
    return name.strip(" ,;"), residence, country


# A word of two or more lower-case letters ending in a period after at least one other word,
# then a capital: 'Andrew H B Zhou. Tiburon', 'Zhou Tian Xing. ‘liburon', 'Licensing Corp. San'
_NAME_END_PERIOD = re.compile(r"^(\S+(?:\s+\S+)*?\s+(\S*[a-z]{2}))\.\s+(?=[A-Z]|[\"'‘“]\w)")


def _name_period_as_comma(text: str) -> str:
    """The comma after a name read as a period ('Andrew H B Zhou. Tiburon. CA', on a 1-bit
    scan): within the text up to the first comma, the first such period becomes a comma. Not
    after the first word ('Prof. Dr. Hans Müller'), a one-letter initial ('John A. Smith') or
    before a lower-case word ('Sony Corp. of America'); a legal form keeps its period."""
    head, sep, tail = text.partition(",")
    m = _NAME_END_PERIOD.match(head)
    if m is None:
        return text
    name = m[1] + ("." if NAME_SUFFIX.match(m[2] + ".") else "")
    return f"{name}, {head[m.end() :]}{sep}{tail}"


def is_organisation(name: str) -> bool:
    return bool(ORG_WORDS.search(name)) or (name.isupper() and len(name.split()) > 2)
