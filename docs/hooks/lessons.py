"""MkDocs hook: execute the lessons before every build (see `course_site.lessons`).

Each lesson whose source or library code changed is executed; the others come from the
cache. `make lessons` runs the same executor without building the site.
"""

from __future__ import annotations

import logging
from pathlib import Path

from course_site.lessons import LessonError, Project, build


def _project(config) -> Project:
    """The checkout being built: the folder of its mkdocs.yml."""
    return Project.at(Path(config["config_file_path"]).resolve().parent)


def on_pre_build(config, **kwargs):
    from mkdocs.exceptions import PluginError

    logger = logging.getLogger("mkdocs.hooks.lessons")
    try:
        build(log=logger.info, project=_project(config))
    except LessonError as error:
        raise PluginError(str(error)) from None


def on_serve(server, config, builder, **kwargs):
    server.watch(str(_project(config).sources))
    server.watch(str(_project(config).library))
    return server
