"""Sphinx configuration of the mastref documentation.

Build (from the repository root, with the ``docs`` extra installed)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The gallery (``docs/examples/plot_*.py``) is executed at every build by sphinx-gallery; the API
reference is generated from the docstrings (autodoc, autosummary, numpydoc); the tables of checks
are read from the verifier's registry (``docs/_ext/mastref_docs.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import mastref  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
from mastref_docs import CheckedMatplotlibScraper  # noqa: E402

project = "mastref"
author = "the mastref maintainers"
copyright = "the mastref maintainers"
release = mastref.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "mastref_docs",
]

root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "examples/GALLERY_HEADER.rst"]
default_role = "literal"
smartquotes = False  # keep "--data", quotes and dashes as typed

# -- autodoc / autosummary / numpydoc -----------------------------------------------------------

autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # numpydoc sections carry the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set = set()
numpydoc_attributes_as_param_list = True

# -- sphinx-gallery ------------------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("mastref",),
    "backreferences_dir": None,
    "remove_config_comments": True,
    "download_all_examples": False,
    "image_scrapers": (CheckedMatplotlibScraper(),),
    "matplotlib_animations": False,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "show_memory": False,
    "min_reported_time": 0,
}

# -- HTML ----------------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"mastref {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_context = {"default_mode": "auto"}
html_show_sourcelink = False
