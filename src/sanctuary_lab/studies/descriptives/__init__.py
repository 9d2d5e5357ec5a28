"""Descriptive builders: series computed from warehouse tables (or the cited facts table), each
returning ``(table, stats)``; named in :data:`sanctuary_lab.studies.registry.DESCRIPTIVES`.
"""
