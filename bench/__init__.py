"""geoplan benchmarks: geoplan beside its peers on the same data, as a table of ratios."""
