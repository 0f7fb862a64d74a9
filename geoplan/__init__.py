"""geoplan: plan community service facilities on real walking networks.

Read a road network, snap homes and facilities onto it, and measure who lives
within a 5/10/15-minute walk of which service; then propose where to build.

Examples
--------
>>> import geoplan
>>> city = geoplan.datasets.synthetic_city(area_km2=1.0, seed=1)
>>> net = city.network()
>>> net.n_nodes > 0
True
"""

from __future__ import annotations

import logging

from geoplan import (
    datasets,
    equity,
    facilities,
    groups,
    maps,
    models,
    network,
    population,
    siting,
    slopes,
    sources,
    standards,
)
from geoplan._errors import (
    ConfigError,
    CRSError,
    DataSourceError,
    DroppedFeaturesWarning,
    GeoplanError,
    GeoplanWarning,
    InputError,
    NetworkError,
    OutputError,
    UnreachablePointsWarning,
    UnreadableCellsWarning,
)
from geoplan._version import __version__
from geoplan.config import StudyConfig, load_config
from geoplan.coverage import (
    Capacity,
    Coverage,
    capacity_coverage,
    clinic_capacity,
    coverage,
    shelter_capacity,
)
from geoplan.facilities import classify_facilities, facility_points
from geoplan.fca import two_step_fca, two_step_fca_from_network
from geoplan.groups import PopulationGroup, population_group
from geoplan.indicators import IndicatorResult, evaluate_indicators
from geoplan.life_circles import LifeCircles, life_circles, street_blocks
from geoplan.network import Nearest, Network, Reach, SnappedPoints
from geoplan.outputs import write_run
from geoplan.service_areas import service_areas
from geoplan.settings import settings
from geoplan.siting import SiteProposal, propose_sites
from geoplan.slopes import with_slopes
from geoplan.sources import (
    fetch_extract,
    join_register,
    read_boundaries,
    read_buildings,
    read_facilities,
    read_network,
    read_poi_table,
    read_register,
)
from geoplan.study import Study, StudyResult, run_study

__all__ = [
    "CRSError",
    "Capacity",
    "ConfigError",
    "Coverage",
    "DataSourceError",
    "DroppedFeaturesWarning",
    "GeoplanError",
    "GeoplanWarning",
    "IndicatorResult",
    "InputError",
    "LifeCircles",
    "Nearest",
    "Network",
    "NetworkError",
    "OutputError",
    "PopulationGroup",
    "Reach",
    "SiteProposal",
    "SnappedPoints",
    "Study",
    "StudyConfig",
    "StudyResult",
    "UnreachablePointsWarning",
    "UnreadableCellsWarning",
    "__version__",
    "capacity_coverage",
    "classify_facilities",
    "clinic_capacity",
    "coverage",
    "datasets",
    "equity",
    "evaluate_indicators",
    "facilities",
    "facility_points",
    "fetch_extract",
    "groups",
    "join_register",
    "life_circles",
    "load_config",
    "maps",
    "models",
    "network",
    "population",
    "population_group",
    "propose_sites",
    "read_boundaries",
    "read_buildings",
    "read_facilities",
    "read_network",
    "read_poi_table",
    "read_register",
    "run_study",
    "service_areas",
    "settings",
    "shelter_capacity",
    "siting",
    "slopes",
    "sources",
    "standards",
    "street_blocks",
    "two_step_fca",
    "two_step_fca_from_network",
    "with_slopes",
    "write_run",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
