"""What the validation gate reports: findings with a severity, and the outcome they lead to.

Severities are kept apart: `error` (the output is wrong: never published), `review` (valid but
doubtful: a person should look), `info` (context for the reviewer).

Outcome: output files that cannot be read back or contradict each other (XML or JSON that does
not parse, JSON that breaks its schema so the document model cannot be rebuilt, ST.96/ST.36/JSON
that disagree) go to quarantine: there is nothing a reviewer could correct. Every other error,
an XSD or DTD violation included (in practice missing content the schema requires, such as no
party read, which a business rule names too), and every doubt go to review, where a person can
correct or confirm the content. A document without findings of either kind is published.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "review", "info"]
Outcome = Literal["published", "review", "quarantine"]
# Errors that mean the output files themselves are broken, not the content they carry.
QUARANTINE_RULES = frozenset({"xml-parse", "json-parse", "json-schema", "outputs-disagree"})


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    severity: Severity
    rule: str
    message: str
    path: str = ""
    """Where in the output: an XML path for schema findings, a JSON path (claims/3) otherwise."""
    page: int | None = None
    """0-based page the finding's content came from."""
    bbox: tuple[int, int, int, int] | None = None
    line: int | None = None
    """Line in the output file (schema findings)."""


class ValidationReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    findings: tuple[Finding, ...] = ()

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def reviews(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "review"]

    def outcome(self) -> Outcome:
        """Broken output files -> quarantine; any other error or doubt -> review; else published."""
        if any(f.rule in QUARANTINE_RULES for f in self.errors):
            return "quarantine"
        return "review" if self.errors or self.reviews else "published"
