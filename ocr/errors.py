"""Typed errors that carry their outcome: the stage, whether retrying can help, and an exit code.

The pipeline never lets an exception escape a document: each one is turned into a quarantine
record (`reason`) or, for `retryable` ones, retried by the orchestrator first. The CLI maps the
fatal ones (those that concern the whole run, not one document) to documented exit codes.
"""

from __future__ import annotations


class IpdError(Exception):
    """Base error. `stage` names the pipeline stage, `reason` is a short machine-readable code."""

    stage: str = "pipeline"
    reason: str = "error"
    retryable: bool = False
    exit_code: int = 1

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason

    def to_dict(self) -> dict[str, object]:
        return {
            "error_type": type(self).__name__,
            "stage": self.stage,
            "reason": self.reason,
            "retryable": self.retryable,
            "message": self.message,
        }


# --- errors about one document: the document is quarantined, the batch carries on -------------


class InputError(IpdError):
    """The input file cannot be read as a scan (corrupt, unsupported, empty, too large...)."""

    stage = "ingest"
    reason = "unreadable-input"


class UnsupportedFormatError(InputError):
    reason = "unsupported-format"


class UnsafeInputError(InputError):
    """An entry that must not be read: a link leaving its input folder, a FIFO or device, a
    folder inside a folder document. It is quarantined without following or copying it."""

    reason = "unsafe-input"


class LimitExceededError(InputError):
    """The input is readable but breaks a configured limit (pixels per page, pages per document)."""

    reason = "limit-exceeded"


class PreprocessError(IpdError):
    stage = "preprocess"
    reason = "preprocess-failed"


class OcrError(IpdError):
    stage = "ocr"
    reason = "ocr-failed"


class OcrTimeoutError(OcrError):
    """Tesseract did not finish within the per-page timeout. Transient: may succeed on retry."""

    reason = "ocr-timeout"
    retryable = True


class MappingError(IpdError):
    stage = "mapping"
    reason = "mapping-failed"


class OutputError(IpdError):
    """Writing outputs failed (disk full, read-only...). Transient from the document's view."""

    stage = "publish"
    reason = "output-failed"
    retryable = True


class UntrustedXmlError(IpdError, ValueError):
    """XML from outside was refused: not well-formed, too large, or with a DOCTYPE (entities,
    external DTDs). `line` is where the parser stopped, when it says."""

    stage = "validate"
    reason = "refused-xml"

    def __init__(self, message: str, *, reason: str | None = None, line: int | None = None):
        super().__init__(message, reason=reason)
        self.line = line


# --- fatal errors: the run cannot proceed at all -----------------------------------------------


class FatalError(IpdError):
    exit_code = 3


class TesseractMissingError(FatalError):
    stage = "startup"
    reason = "tesseract-missing"
    exit_code = 3


class TesseractVersionError(FatalError):
    stage = "startup"
    reason = "tesseract-too-old"
    exit_code = 3


class LanguageMissingError(FatalError):
    stage = "startup"
    reason = "language-missing"
    exit_code = 4


class ConfigError(FatalError):
    stage = "startup"
    reason = "bad-configuration"
    exit_code = 2


class OutputBusyError(FatalError):
    """Another run holds the output folder's lock (two runs must not share one output folder)."""

    stage = "startup"
    reason = "output-busy"
    exit_code = 6


class OrchestratorUnreachableError(FatalError):
    """The Prefect API named in PREFECT_API_URL does not answer (at start, or it went away)."""

    stage = "orchestration"
    reason = "prefect-api-unreachable"
    exit_code = 7
