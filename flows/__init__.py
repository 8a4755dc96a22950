"""Prefect flows, the CLI, publication and operations (the only package that imports Prefect)."""
