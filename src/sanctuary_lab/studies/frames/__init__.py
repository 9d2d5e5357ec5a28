"""Frame builders: an *analysis frame* is a pandas DataFrame a study's designs are fitted on,
built from warehouse tables (one module per family of frames).

Each builder takes an open warehouse connection and keyword-only study parameters and returns a
:class:`~sanctuary_lab.studies.reading.Frame`; the builders are named in
:data:`sanctuary_lab.studies.registry.FRAMES`.
"""
