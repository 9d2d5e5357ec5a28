"""One adapter per public source folder; see :mod:`sanctuary_lab.sources.base`.

The adapters are listed in :data:`sanctuary_lab.sources.registry.ADAPTERS`.
"""
