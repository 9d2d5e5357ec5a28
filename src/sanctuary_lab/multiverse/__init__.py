"""multiverse package."""
