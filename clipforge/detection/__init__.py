"""Highlight detection: topic-aware, feature-scored short clips from a transcript."""

from clipforge.detection.detector import detect_highlights

__all__ = ["detect_highlights"]
