"""A corpus of hostile XML files (written at test time) for the hardened loader.

`hostile_corpus(marker, base_url)` returns {name: (bytes, expected)}: `expected` is the set of
acceptable refusal reasons, or None for files that are accepted but must stay inert (nothing
fetched, nothing included). `marker` is a local file whose content must never show up in a
parsed document; `base_url` is a local HTTP server that must never be asked for anything.
"""

from __future__ import annotations

from pathlib import Path

DOCTYPE = {"doctype-refused"}
MALFORMED = {"malformed-xml"}

ST96_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<pat:PatentPublication xmlns:pat="http://www.wipo.int/standards/XMLSchema/ST96/Patent" '
    b'xmlns:com="http://www.wipo.int/standards/XMLSchema/ST96/Common" com:st96Version="V6_0">'
)
ST96_TAIL = b"</pat:PatentPublication>\n"


def billion_laughs(levels: int = 10) -> bytes:
    ents = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)
    ]
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n{chr(10).join(ents)}\n]>\n'
        f"<lolz>&lol{levels - 1};</lolz>\n"
    ).encode()


def quadratic_blowup(size: int = 100_000, refs: int = 10_000) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE kaboom [<!ENTITY a "{"x" * size}">]>\n'
        f"<kaboom>{'&a;' * refs}</kaboom>\n"
    ).encode()


def hostile_corpus(marker: Path, base_url: str) -> dict[str, tuple[bytes, set[str] | None]]:
    file_url = marker.resolve().as_uri()
    xxe_file = (
        f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "{file_url}">]>\n<r>&xxe;</r>\n'
    ).encode()
    corpus: dict[str, tuple[bytes, set[str] | None]] = {
        "billion-laughs.xml": (billion_laughs(), DOCTYPE),
        "quadratic-blowup.xml": (quadratic_blowup(), DOCTYPE),
        "xxe-file.xml": (xxe_file, DOCTYPE),
        "xxe-network.xml": (
            f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "{base_url}/entity">]>\n'
            f"<r>&x;</r>\n".encode(),
            DOCTYPE,
        ),
        "xxe-parameter-entity.xml": (
            f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY % remote SYSTEM "{base_url}/evil.dtd">'
            f"%remote;]>\n<r>&exfil;</r>\n".encode(),
            DOCTYPE,
        ),
        "external-dtd-system.xml": (
            f'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "{base_url}/r.dtd">\n<r/>\n'.encode(),
            DOCTYPE,
        ),
        "external-dtd-public.xml": (
            f'<?xml version="1.0"?>\n<!DOCTYPE r PUBLIC "-//EVIL//DTD R//EN" "{base_url}/p.dtd">'
            f"\n<r/>\n".encode(),
            DOCTYPE,
        ),
        "doctype-name-only.xml": (
            b"<!DOCTYPE pat:PatentPublication>\n" + ST96_HEAD + ST96_TAIL,
            DOCTYPE,
        ),  # fmt: skip
        "entity-in-attribute.xml": (
            b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e "v">]>\n<r a="&e;"/>\n',
            DOCTYPE,
        ),
        "billion-laughs-utf16.xml": (
            billion_laughs()
            .decode()
            .replace('version="1.0"?>', 'version="1.0" encoding="UTF-16"?>')
            .encode("utf-16"),  # fmt: skip
            DOCTYPE,
        ),
        "xxe-utf16-no-bom.xml": (xxe_file.decode().encode("utf-16-le"), DOCTYPE | MALFORMED),
        "xxe-utf7.xml": (
            b'<?xml version="1.0" encoding="UTF-7"?>\n+ADw-!DOCTYPE r +AFs-+ADw-!ENTITY x SYSTEM '
            + f'"{file_url}"'.encode()
            + b"+AD4-+AF0-+AD4-\n+ADw-r+AD4-+ACY-x+ADs-+ADw-/r+AD4-\n",
            DOCTYPE | MALFORMED,
        ),
        "xinclude-file.xml": (
            b'<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="'
            + file_url.encode()
            + b'" parse="text"/></r>\n',
            {"xinclude-refused"},
        ),
        "deep-nesting.xml": (b"<a>" * 10_000 + b"</a>" * 10_000, MALFORMED),
        "forbidden-char-reference.xml": (b"<r>&#1;&#xFFFE;</r>\n", MALFORMED),
        "undeclared-entity.xml": (b"<r>&xxe;</r>\n", MALFORMED),
        "truncated-st96.xml": (ST96_HEAD + b"<com:IPOfficeCode>US</com:IP", MALFORMED),
        "not-xml.xml": (bytes(range(256)) * 4, MALFORMED),
        "comment-only.xml": (b"<?xml version='1.0'?><!-- nothing else -->\n", MALFORMED),
        "too-large.xml": (
            ST96_HEAD + b"<!--" + b"x" * 1_100_000 + b"-->" + ST96_TAIL,
            {"too-large"},
        ),  # fmt: skip
        # accepted, and inert: references that a careless consumer might follow
        "stylesheet-pi.xml": (
            f'<?xml version="1.0"?>\n<?xml-stylesheet type="text/xsl" href="{base_url}/x.xsl"?>'
            f"\n<r/>\n".encode(),
            None,
        ),
        "schema-location.xml": (
            ST96_HEAD.replace(
                b'com:st96Version="V6_0">',
                b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" com:st96Version="V6_0" '
                + f'xsi:schemaLocation="http://www.wipo.int/x {base_url}/evil.xsd">'.encode(),
            )
            + ST96_TAIL,
            None,
        ),
        "doctype-text-in-cdata.xml": (
            ST96_HEAD + b"<![CDATA[<!DOCTYPE x [<!ENTITY y 'z'>]>]]>" + ST96_TAIL,
            None,
        ),
    }
    return corpus
