"""Every call from a lower layer to a higher one, in one file.

The apps keep the layer rule (`plek.core.hooks` explains why some lower layers still need to reach
higher ones); this module, which sits above every app, fills those hooks with ordinary imports that
import-linter sees. To register a new searchable kind, demo step, export section, region-page
section, map measure, programme part, personal-data section or citation finder: add it to the list
below, in the order it should run or show (lower layers first). See docs/new-feature.md."""

from __future__ import annotations

from plek.atlas import demo_step as atlas_demo
from plek.atlas import personal_data as atlas_personal_data
from plek.brokering import demo as brokering_demo
from plek.brokering import indexing as brokering_indexing
from plek.brokering import personal_data as brokering_personal_data
from plek.brokering import regions as brokering_regions
from plek.brokering import views as brokering_views
from plek.core.hooks import hooks
from plek.federation import importers as federation_importers
from plek.governance import citations as governance_citations
from plek.governance import demo as governance_demo
from plek.governance import exporters as governance_exporters
from plek.governance import indexing as governance_indexing
from plek.governance import personal_data as governance_personal_data
from plek.governance import regions as governance_regions
from plek.governance import services as governance_services
from plek.knowledge import demo as knowledge_demo
from plek.knowledge import exporters as knowledge_exporters
from plek.knowledge import regions as knowledge_regions
from plek.knowledge import tasks as knowledge_tasks
from plek.learning import demo as learning_demo
from plek.learning import exporters as learning_exporters
from plek.learning import indexing as learning_indexing
from plek.learning import personal_data as learning_personal_data
from plek.learning import regions as learning_regions
from plek.strategy import demo as strategy_demo
from plek.strategy import regions as strategy_regions


def register() -> None:
    """Fill `plek.core.hooks` (called once, from `PlatformConfig.ready`)."""
    # `plek demo`: each app's part, lower layers first (strategy last: it reads the others' data).
    hooks.demo_steps = [
        atlas_demo.demo_step,
        knowledge_demo.demo_step,
        brokering_demo.demo_step,
        learning_demo.demo_step,
        governance_demo.demo_step,
        strategy_demo.demo_step,
    ]
    # Searchable kinds beyond the Atlas and knowledge items (`plek.knowledge.indexing.BUILDERS`).
    hooks.search_builders = {
        **brokering_indexing.SEARCH_BUILDERS,
        **learning_indexing.SEARCH_BUILDERS,
        **governance_indexing.SEARCH_BUILDERS,
    }
    # After a commit that changed searchable data: enqueue the outbox task (core writes the outbox).
    hooks.search_dispatch = knowledge_tasks.dispatch_search_outbox
    # `plek export` and the export page: sections after the Atlas's own.
    hooks.export_sections = [
        knowledge_exporters.KNOWLEDGE_SECTION,
        learning_exporters.TRAJECTORY_SECTION,
        governance_exporters.DECISIONS_SECTION,
    ]
    # `plek import knowledge FILE`: (reader, importer).
    hooks.import_kinds = {
        "knowledge": (federation_importers.read_knowledge_file, federation_importers.import_knowledge),
    }
    # An area's whole picture (see docs/area-picture.md): region page sections, map measures and a
    # programme's regional picture, in the order they show.
    hooks.region_sections = [
        knowledge_regions.region_sections,
        brokering_regions.region_sections,
        learning_regions.region_sections,
        strategy_regions.region_sections,
        governance_regions.region_sections,
    ]
    hooks.map_measures = [
        *knowledge_regions.MAP_MEASURES,
        *brokering_regions.MAP_MEASURES,
        *strategy_regions.MAP_MEASURES,
    ]
    hooks.programme_parts = [
        brokering_regions.programme_parts,
        learning_regions.programme_parts,
        governance_regions.programme_parts,
        knowledge_regions.programme_parts,
    ]
    # A national programme's page: the questions referred to it.
    hooks.programme_sections = [brokering_views.programme_section]
    # "Mijn gegevens" (GDPR art. 15/17/20): lowest layer first; erasure runs them highest first.
    hooks.personal_data_sections = [
        atlas_personal_data.SECTION,
        brokering_personal_data.SECTION,
        learning_personal_data.SECTION,
        governance_personal_data.SECTION,
    ]
    # Pages that cite a scenario result by URL (strategy lists them on the result).
    hooks.citation_finders = [governance_citations.url_citations]
    # Barriers (learning) and cases (brokering) passed on to the Initiative group.
    hooks.signal_sink = governance_services.signal_receive
