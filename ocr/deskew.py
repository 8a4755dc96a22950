"""Skew of the text lines, by projection profiles.

The estimate projects the pixels of character-sized components (rules, borders and specks are left
out, see ocr/analysis.py) onto the page's vertical axis at trial angles: text lines give the sharpest
profile (largest sum of squared bin counts) at the angle they lie at. A coarse search with a quarter
of the points over the allowed range is refined with all of them, and a parabola through the best
three trial angles gives sub-step precision. The confidence compares the peak with the profile at
the worst trial angle (0 for no text, ~0.3-0.6 for a page of text lines).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ocr.analysis import PageAnalysis, analyse

COARSE_STEP = 0.5
FINE_STEP = 0.1


@dataclass(frozen=True)
class SkewEstimate:
    angle: float
    """Counter-clockwise angle of the text lines as displayed, in degrees."""
    confidence: float
    """0..1: how much sharper the profile is at `angle` than at the worst trial angle."""


def profile_score(points: np.ndarray, angle: float, bin_inch: float) -> float:
    """Sharpness of the horizontal projection of `points` after undoing a skew of `angle`."""
    return _Projector(points).score(angle, bin_inch)


class _Projector:
    """`profile_score` for many angles over the same points: the coordinate columns are made
    contiguous once and the projection reuses two buffers (same arithmetic, same figures)."""

    def __init__(self, points: np.ndarray) -> None:
        self.x = np.ascontiguousarray(points[:, 0], dtype=np.float64)
        self.y = np.ascontiguousarray(points[:, 1], dtype=np.float64)
        self.proj = np.empty_like(self.y)
        self.tmp = np.empty_like(self.y)

    def score(self, angle: float, bin_inch: float) -> float:
        rad = np.radians(angle)
        proj, tmp = self.proj, self.tmp
        np.multiply(self.y, np.cos(rad), out=proj)
        np.multiply(self.x, np.sin(rad), out=tmp)
        np.add(proj, tmp, out=proj)  # y cos + x sin
        np.subtract(proj, proj.min(), out=proj)
        np.divide(proj, bin_inch, out=proj)
        counts = np.bincount(proj.astype(np.int64)).astype(np.float64)
        return float(np.dot(counts, counts))


def search(points: np.ndarray, angles: np.ndarray, bin_inch: float) -> tuple[float, np.ndarray]:
    """Best of the trial `angles` (refined by a parabola through its neighbours) and all scores."""
    projector = _Projector(points)
    scores = np.array([projector.score(float(a), bin_inch) for a in angles])
    i = int(np.argmax(scores))
    best = float(angles[i])
    if 0 < i < len(angles) - 1:
        y0, y1, y2 = scores[i - 1], scores[i], scores[i + 1]
        denom = y0 - 2 * y1 + y2
        if denom < 0:
            offset = 0.5 * (y0 - y2) / denom
            best += max(-0.5, min(0.5, offset)) * float(angles[1] - angles[0])
    return best, scores


def coarse_search(points: np.ndarray, max_angle: float) -> tuple[float, float, float]:
    """(angle, confidence, peak score) from a coarse search over +-max_angle."""
    angles = np.arange(-max_angle, max_angle + COARSE_STEP / 2, COARSE_STEP)
    best, scores = search(points, angles, bin_inch=2 / 150)
    peak = float(scores.max())
    confidence = 1.0 - float(scores.min()) / peak if peak > 0 else 0.0
    return best, confidence, peak


def refine(points: np.ndarray, around: float) -> float:
    angles = around + np.arange(-0.5, 0.5 + FINE_STEP / 2, FINE_STEP)
    best, _ = search(points, angles, bin_inch=1 / 150)
    return best


def estimate_skew_from(analysis: PageAnalysis, max_angle: float = 8.0) -> SkewEstimate:
    points = analysis.points()
    if len(points) < 500:
        return SkewEstimate(0.0, 0.0)
    coarse, confidence, _ = coarse_search(points[::4], max_angle)
    return SkewEstimate(round(refine(points, coarse), 3), round(confidence, 3))


def estimate_skew(gray: np.ndarray, dpi: float, max_angle: float = 8.0) -> SkewEstimate:
    """Skew angle of the text lines within +-max_angle degrees, with a confidence."""
    return estimate_skew_from(analyse(gray, dpi), max_angle)
