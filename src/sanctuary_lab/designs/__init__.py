"""Research designs: each a spec object -> fit() -> a :class:`~sanctuary_lab.designs.result.Result`."""
