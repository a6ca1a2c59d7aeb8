"""Clip-detection evaluation: scripted episodes, their rendering and labels, and the harness."""
