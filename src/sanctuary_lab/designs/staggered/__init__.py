"""Staggered-adoption designs: Callaway–Sant'Anna, Sun–Abraham and did2s, with their shared panel
preparation (:mod:`.panel`)."""
