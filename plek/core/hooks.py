"""The points where a lower layer calls a higher one.

The layer rule forbids importing upward, yet the Atlas export has sections from the knowledge base,
the search index holds questions and decisions, the region page shows what every app knows about an
area, and `plek demo` loads every app. Each such point is a hook here: a list (or one function) that
the lower layer reads when it runs. Nothing in the apps fills them: `plek.platform` does, once at
start-up, in `plek/platform/registry.py` — the one file that names every upward call, with ordinary
imports that import-linter checks like any other.

Hooks are plain attributes, so a test can replace one for its duration with pytest's
`monkeypatch.setattr(hooks, "signal_sink", ...)`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Hooks:
    #: `plek demo`: steps `(scale, seed, items, progress, stdout) -> counts`, lower layers first.
    demo_steps: list[Callable[..., Any]] = field(default_factory=list)
    #: Searchable kinds of layers above knowledge: `{kind: (Model, build(ids) -> [SearchDoc])}`.
    search_builders: dict[str, tuple[Any, Callable[[list[int]], Any]]] = field(default_factory=dict)
    #: What applies the search outbox after a commit (enqueues the task).
    search_dispatch: Callable[[], Any] | None = None
    #: `plek export` and the export page: sections after the Atlas's own (`atlas.exporters.Section`).
    export_sections: list[Any] = field(default_factory=list)
    #: `plek import KIND FILE` for kinds beyond the Atlas: `{kind: (reader, importer)}`.
    import_kinds: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = field(default_factory=dict)
    #: The region page: `(viewer, scope, limit) -> [PictureSection]`, in page order.
    region_sections: list[Callable[..., Any]] = field(default_factory=list)
    #: The map: choropleth measures (`atlas.picture.MapMeasure`) of higher layers.
    map_measures: list[Any] = field(default_factory=list)
    #: A programme's regional picture: `(viewer, programme, theme_ids) -> [ProgrammePart]`.
    programme_parts: list[Callable[..., Any]] = field(default_factory=list)
    #: A programme's page: `(request, viewer, programme) -> safe HTML` sections.
    programme_sections: list[Callable[..., Any]] = field(default_factory=list)
    #: "Mijn gegevens": sections of layers above accounts (`accounts.personal_data.Section`).
    personal_data_sections: list[Any] = field(default_factory=list)
    #: What cites a scenario result: `(viewer, path) -> [{kind, title, url}]`.
    citation_finders: list[Callable[..., Any]] = field(default_factory=list)
    #: Where learning and brokering pass a signal on to (`core.handoff.SignalSink`).
    signal_sink: Callable[..., str] | None = None


hooks = Hooks()
