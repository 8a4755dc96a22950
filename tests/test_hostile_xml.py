"""Hostile XML against the hardened loader (output_schemas.xmltext.parse_untrusted): XXE, external
DTDs, entity expansion, XInclude, odd encodings, depth and size bombs are refused with a typed
reason, with no network access and no memory blow-up.

The corpus is parsed in a child process limited to 1 GB of address space (a billion-laughs
expansion needs ~3 GB; the quadratic blow-up 1 GB), while a local HTTP server counts requests: it
must receive none. Two control checks show the probes can fail: a careless lxml parser does fetch
from that server and does read the marker file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostilexml import hostile_corpus
from lxml import etree
from runcli import ROOT
from stubhttp import StubHandler, serving

from ocr.errors import UntrustedXmlError
from output_schemas.xmltext import clean_text, parse_untrusted

MARKER = "TOP-SECRET-MARKER-5f0c"
CHILD = r"""
import json, resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from lxml import etree
from ocr.errors import UntrustedXmlError
from output_schemas.xmltext import parse_untrusted
results = {}
for path in sorted(Path(sys.argv[1]).iterdir()):
    try:
        tree = parse_untrusted(path.read_bytes(), max_bytes=1_000_000)
    except UntrustedXmlError as exc:
        results[path.name] = {"refused": exc.reason, "line": exc.line, "message": exc.message}
    else:
        results[path.name] = {"refused": None, "text": etree.tostring(tree).decode()}
results["_maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(results))
"""


class _Counter(StubHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        type(self).requests.append(self.path)
        self.reply(200, f'<!ENTITY exfil "{MARKER}">'.encode(), "application/xml-dtd")


@pytest.fixture
def http_probe() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server; yields its base URL and the list of paths it was asked for."""
    _Counter.requests = []
    with serving(_Counter) as url:
        yield url, _Counter.requests


def test_hostile_xml_is_refused_offline_and_bounded(
    tmp_path: Path, http_probe: tuple[str, list[str]]
) -> None:
    base_url, requests = http_probe
    marker = tmp_path / "marker.txt"
    marker.write_text(MARKER)
    corpus = hostile_corpus(marker, base_url)
    folder = tmp_path / "xml"
    folder.mkdir()
    for name, (data, _) in corpus.items():
        (folder / name).write_bytes(data)

    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert child.returncode == 0, child.stderr
    results = json.loads(child.stdout)
    maxrss_mb = results.pop("_maxrss_kb") / 1024

    refused = accepted = 0
    for name, (_, expected) in corpus.items():
        got = results[name]
        if expected is None:
            assert got["refused"] is None, f"{name}: {got}"
            accepted += 1
        else:
            assert got["refused"] in expected, f"{name}: {got}"
            assert got["message"], name
            refused += 1
        assert MARKER not in json.dumps(got), f"{name} leaked the marker file"
    assert requests == [], f"the loader went to the network: {requests}"
    print(
        f"\nhostile XML: {refused} refused, {accepted} accepted inert, {len(requests)} network "
        f"requests, child peak RSS {maxrss_mb:.0f} MB (address space capped at 1 GB)"
    )


class _FetchingResolver(etree.Resolver):
    """What a careless application adds (this libxml2 build has no HTTP client of its own)."""

    def resolve(self, url: str, public_id: str, context: object):  # type: ignore[no-untyped-def]
        if url.startswith("http://"):
            with urllib.request.urlopen(url, timeout=5) as response:
                return self.resolve_string(response.read(), context)
        return None


def test_the_probes_can_fail(tmp_path: Path, http_probe: tuple[str, list[str]]) -> None:
    """A careless parser does fetch and does read files: the checks above would see it."""
    base_url, requests = http_probe
    marker = tmp_path / "marker.txt"
    marker.write_text(MARKER)
    corpus = hostile_corpus(marker, base_url)
    careless = etree.XMLParser(load_dtd=True, no_network=False, resolve_entities=True)
    careless.resolvers.add(_FetchingResolver())
    etree.fromstring(corpus["external-dtd-system.xml"][0], careless)
    assert requests == ["/r.dtd"]
    leaked = etree.fromstring(corpus["xxe-file.xml"][0], careless)
    assert MARKER in etree.tostring(leaked).decode()


def test_line_numbers_of_malformed_xml() -> None:
    with pytest.raises(UntrustedXmlError) as err:
        parse_untrusted(b"<a>\n<b>\n</a>\n")
    assert err.value.reason == "malformed-xml" and err.value.line == 3


def test_ocr_text_with_xml_specials_round_trips() -> None:
    """What OCR may produce: XML-forbidden characters are dropped, markup characters kept as
    text, and the result parses back with the hardened loader."""
    from mapping.model import Field, IPDocument, Paragraph, Provenance, Token
    from output_schemas import st96

    nasty = "A<B & C]]>D\x00\x01\x0b\x0c\ufffe\uffff\ud800 <!DOCTYPE x> &amp; \U0001f600"
    doc = IPDocument(
        doc_id="x",
        fields={"title": Field(name="title", inid="54", value=nasty, source=Provenance())},
        abstract=(
            Paragraph(
                tokens=(Token(text=nasty, confidence=0.3), Token(text=nasty, confidence=0.95))
            ),
        ),  # fmt: skip
    )
    data = st96.serialise(st96.to_st96(doc))
    tree = parse_untrusted(data)
    texts = ["".join(el.itertext()) for el in tree.iter() if el.text and "A<B" in el.text]
    assert texts, data.decode()
    for text in texts:
        assert "A<B & C]]>D <!DOCTYPE x> &amp; \U0001f600" in text
        assert text == clean_text(text)
    assert b"]]>" not in data.replace(b"]]&gt;", b"")
