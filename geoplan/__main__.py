"""``python -m geoplan`` runs the ``geoplan`` command."""

from geoplan.cli import main

main()
