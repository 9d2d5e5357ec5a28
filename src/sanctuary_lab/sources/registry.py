"""The adapter registry: raw-data folder name -> adapter class, declared in one dict.

A new source is one adapter module (see :mod:`sanctuary_lab.sources.base`) plus one line in
:data:`ADAPTERS`. Keys are the folder names (each class's ``name``), sorted: the build runs the
adapters in this order.
"""

from __future__ import annotations

from sanctuary_lab.sources.acs_kaggle import AcsKaggle
from sanctuary_lab.sources.base import Adapter
from sanctuary_lab.sources.county_facts import CountyFacts2014
from sanctuary_lab.sources.ddp_ice_records import DdpIceRecords
from sanctuary_lab.sources.fbi_cde_agency import FbiCdeAgency
from sanctuary_lab.sources.ice_aor import IceAorCrosswalks
from sanctuary_lab.sources.ice_detainers_npr import NprDetainers
from sanctuary_lab.sources.ice_ero_arrests_cited import IceEroArrestsCited
from sanctuary_lab.sources.marshall_city import MarshallCityCrime
from sanctuary_lab.sources.nchs import NchsUrbanRural
from sanctuary_lab.sources.policy_287g_2024_2026 import Ice287g2024to2026
from sanctuary_lab.sources.policy_287g_pre2018_ddp import Ddp287gPre2018
from sanctuary_lab.sources.policy_sc_cpuma import ScCpumaEast2022
from sanctuary_lab.sources.popest import CensusPopest
from sanctuary_lab.sources.state_ucr import StateUcrClassdata
from sanctuary_lab.sources.ucr_county_2012 import NacjdCounty2012
from sanctuary_lab.sources.ucr_county_arrests_icpsr import UcrCountyArrestsIcpsr
from sanctuary_lab.sources.ucr_county_offenses_icpsr import UcrCountyOffensesIcpsr
from sanctuary_lab.sources.ucr_offenses_known import UcrOffensesKnown
from sanctuary_lab.sources.urban_county_crime import UrbanCountyCrime
from sanctuary_lab.sources.us_atlas import UsAtlasCounties
from sanctuary_lab.sources.usdata import UsdataCounty
from sanctuary_lab.sources.wapo_287g_sheriffs import WapoSheriffs287g

#: Every adapter by raw-data folder name, sorted (the build order).
ADAPTERS: dict[str, type[Adapter]] = {
    "acs_county_2015_2017_kaggle": AcsKaggle,
    "census_county_facts_2014": CountyFacts2014,
    "census_popest_county_2010_2019": CensusPopest,
    "county_crime_icpsr_2012": NacjdCounty2012,
    "ddp_ice_records": DdpIceRecords,
    "fbi_cde_agency": FbiCdeAgency,
    "ice-aor-crosswalks": IceAorCrosswalks,
    "ice-detainer-outcomes-npr": NprDetainers,
    "ice_ero_arrests_cited": IceEroArrestsCited,
    "marshall_city_crime": MarshallCityCrime,
    "nchs_urban_rural_2013": NchsUrbanRural,
    "policy-287g-2024-2026": Ice287g2024to2026,
    "policy-287g-pre2018-ddp": Ddp287gPre2018,
    "policy-sc-287g-cpuma-east2022": ScCpumaEast2022,
    "state_ucr_classdata": StateUcrClassdata,
    "ucr_county_arrests_icpsr": UcrCountyArrestsIcpsr,
    "ucr_county_offenses_icpsr": UcrCountyOffensesIcpsr,
    "ucr_offenses_known": UcrOffensesKnown,
    "urban_mobility_county_crime": UrbanCountyCrime,
    "us_atlas_counties_topojson": UsAtlasCounties,
    "usdata_county_complete": UsdataCounty,
    "wapo_287g_sheriffs": WapoSheriffs287g,
}


def all_adapters() -> list[Adapter]:
    """One instance of every adapter in :data:`ADAPTERS`, in folder-name order."""
    return [ADAPTERS[name]() for name in sorted(ADAPTERS)]
