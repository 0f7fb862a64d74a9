"""What the study subcommands share: options, loading, running, writing, the summary."""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from tqdm import tqdm

from geoplan._i18n import facility_type_label, label, level_name
from geoplan.config import StudyConfig, load_config
from geoplan.outputs.run import preparations, print_ahead
from geoplan.report import RunFolder, write_run
from geoplan.settings import BASEMAPS, settings
from geoplan.study import Study, StudyResult, run_study, study_settings, study_totals

__all__ = ["OutputOptions", "output_options", "run_steps", "study_argument"]

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def study_argument(command: F) -> F:
    """Add the STUDY argument: a study TOML file."""
    return click.argument(
        "study_file", metavar="STUDY.toml", type=click.Path(dir_okay=False, path_type=Path)
    )(command)


@dataclass(frozen=True)
class OutputOptions:
    """Where and how a study subcommand writes: the options every one of them takes."""

    out_dir: Path | None = None
    force: bool = False
    offline_maps: bool | None = None
    basemap: str | None = None
    no_maps: bool = False


def output_options(command: F) -> F:
    """Add --out, --force, --offline-maps, --basemap and --no-maps as ``output=``."""
    names = [f.name for f in dataclasses.fields(OutputOptions)]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        output = OutputOptions(**{name: kwargs.pop(name) for name in names})
        return command(output=output, **kwargs)

    options = [
        click.option(
            "--out",
            "out_dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help="Run folder (default: <output_dir>/<study name>).",
        ),
        click.option(
            "--force", is_flag=True, help="Replace this study's earlier run (only geoplan's own)."
        ),
        click.option(
            "--offline-maps/--online-maps",
            default=None,
            help="Write Leaflet beside the maps so they open without the internet.",
        ),
        click.option("--basemap", type=click.Choice(BASEMAPS), default=None, help="Base map."),
        click.option("--no-maps", is_flag=True, help="Skip the HTML maps."),
    ]
    decorated: Any = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


def run_steps(
    config: StudyConfig | Path,
    steps: Sequence[str],
    output: OutputOptions,
    *,
    suffix: str = "",
    network_map: bool = False,
    command: str = "run",
) -> tuple[StudyResult, Path]:
    """Load a study, run ``steps``, write the run folder and print the key figures.

    Parameters
    ----------
    config
        A validated configuration or the path of a study TOML.
    steps
        Steps of :data:`geoplan.study.STEPS`.
    output
        The output options.
    suffix
        Appended to the study name for the default folder (``-coverage``), so
        a single step does not collide with the full run.
    network_map
        Draw the network too.
    command
        What is running (``run``, ``demo``, ``coverage``...), recorded in the
        run folder's manifest; the demo replaces only runs the demo made.

    Returns
    -------
    (StudyResult, pathlib.Path)
    """
    cfg = load_config(config) if isinstance(config, Path) else config
    if command == "run" and suffix:
        command = suffix.removeprefix("-")
    changes: dict[str, Any] = {}
    if output.offline_maps is not None:
        changes["offline_maps"] = output.offline_maps
    if output.basemap is not None:
        changes["basemap"] = output.basemap
    if output.no_maps:
        changes["maps"] = False
    cfg = dataclasses.replace(cfg, **changes)
    base = cfg.output_dir if cfg.output_dir is not None else settings.output_dir
    target = output.out_dir if output.out_dir is not None else base / f"{cfg.name}{suffix}"
    folder = RunFolder(
        target,
        force=output.force,
        study=cfg.name,
        command=command,
        replaces_only="demo" if command == "demo" else None,
    )
    # refused before any work, and held until written: a second run of this folder is refused
    with folder.reserve(), study_settings(cfg):
        stages = ["load", *steps, "write"]
        with tqdm(
            total=len(stages),
            desc=cfg.name,
            unit="step",
            disable=None if settings.progress else True,
        ) as bar:
            bar.set_postfix_str("load")
            study = Study.from_config(cfg)
            bar.update()

            def advance(step: str) -> None:
                bar.set_postfix_str(step)
                bar.update()

            # the print writer loads matplotlib and the fonts while the steps run
            with print_ahead(study) as ahead:
                result = run_study(
                    study, steps=steps, on_step=advance, meanwhile=preparations(study)
                )
                bar.n = len(stages) - 1
                bar.set_postfix_str("write")
                written = write_run(result, folder, network_map=network_map, print_ahead=ahead)
            bar.update()
        echo_summary(result, written)
    return result, written


def echo_summary(result: StudyResult, folder: Path) -> None:
    """Print a run's key figures and where it wrote them."""
    lang = settings.lang
    totals = study_totals(result)
    click.echo(
        f"  {label('network', lang)}: {totals['nodes']:,} {label('nodes', lang)}, "
        f"{totals['edges']:,} {label('edges', lang)}; {label('communities', lang)}: "
        f"{totals['communities']:,}; {label('population', lang)}: {totals['population']:,.0f}"
    )
    for level, score in totals.get("completeness", {}).items():
        click.echo(f"  {label('completeness', lang)}, {level_name(level, lang)}: {score:.0%}")
    for type_id, share in totals.get("coverage", {}).items():
        sites = totals["facility_sites"].get(type_id, 0)
        name = facility_type_label(type_id, lang)
        click.echo(f"  {name} ({sites}): {label('covered_share', lang)} {share:.1%}")
    for type_id, capacity in result.capacity.items():
        figures = capacity.totals
        click.echo(
            f"  {facility_type_label(type_id, lang)}: {label('capacity', lang)} "
            f"{figures['capacity']:,.0f}; {label('assigned', lang)} {figures['assigned']:,.0f} "
            f"/ {figures['population']:,.0f}"
        )
    if result.indicators is not None:
        table = result.indicators.table
        met = table.loc[table["area_level"] == "study", "meets"].dropna().astype(bool)
        name = "规划指标达标" if lang == "zh" else "the plan's indicators met"
        click.echo(f"  {name}: {int(met.sum())} / {len(met)} (tables/indicators.csv)")
    for type_id, summary in totals.get("proposals", {}).items():
        click.echo(
            f"  {facility_type_label(type_id, lang)}: +{summary['sites']} {label('sites', lang)} "
            f"({label('solver', lang)} {summary['solver']}, {label('gap', lang)} "
            f"{summary['gap']:.1%}): {summary['share_before']:.1%} → "
            f"{summary['share_after']:.1%}"
        )
    for note in sorted(set(result.notes)):
        log.warning(note)
    wrote = "已写入" if lang == "zh" else "wrote"
    click.echo(f"  {wrote} {folder} ({', '.join(_run_contents(Path(folder)))})")


#: The order a run folder's contents are listed in; anything else follows by name.
RUN_CONTENTS_ORDER = ("report.html", "report.pdf", "maps/", "print/", "tables/", "tables.xlsx")


def _run_contents(folder: Path) -> list[str]:
    """Return the visible files and folders of a written run folder, the report first."""
    names = [
        entry.name + ("/" if entry.is_dir() else "")
        for entry in folder.iterdir()
        if not entry.name.startswith(".")
    ]
    rank = {name: i for i, name in enumerate(RUN_CONTENTS_ORDER)}
    return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))
