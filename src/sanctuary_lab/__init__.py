"""sanctuary-lab: an open evidence engine for immigration-enforcement policy and public safety."""

__version__ = "0.1.0"
