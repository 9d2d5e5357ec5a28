"""``python -m sanctuary_lab.cli``: the same as the ``sanctuary-lab`` command."""

from sanctuary_lab.cli import main

main()
