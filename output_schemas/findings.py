"""What the validation gate reports: findings with a severity, and the outcome they lead to.

Severities are kept apart: `error` (the output is wrong: never published), `review` (valid but
doubtful: a person should look), `info` (context for the reviewer). Errors from the schemas
(the output does not even have the published format) send a document to quarantine; errors
from business rules and doubts send it to review, where a person can correct the content.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "review", "info"]
Outcome = Literal["published", "review", "quarantine"]
# Findings that mean the output files themselves are broken (not the content they carry).
SCHEMA_RULES = frozenset(
    {"st96-xsd", "st36-dtd", "json-schema", "xml-parse", "json-parse", "outputs-disagree"}
)


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
        """Schema errors -> quarantine (the output itself is broken); rule errors and doubts ->
        review (a person fixes or confirms the content); nothing -> published."""
        if any(f.rule in SCHEMA_RULES for f in self.errors):
            return "quarantine"
        return "review" if self.errors or self.reviews else "published"
