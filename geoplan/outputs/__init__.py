"""What a run writes: the run folder, tables, layers, maps and the report page.

The top floor of geoplan: it reads results and writes files; nothing below it
imports it.
"""
