"""Research designs: each a design object -> fit() -> a :class:`~sanctuary_lab.core.result.Result`."""
