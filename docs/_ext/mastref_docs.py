"""Sphinx helpers that read the verifier's registry, so the pages cannot drift from the code.

* ``.. mastref-checks:: NAME`` -- a table of the checks of registry entry ``NAME``
  (``theorem1`` ... ``theorem5``, ``baseline``, ``theorem5-reconstructed-form``; no argument:
  every check);
  with ``:anchors:`` each row is a target for ``:check:``.
* ``.. mastref-controls:: NAME`` -- the same for the negative controls.
* ``.. mastref-cli::`` -- the ``--help`` of ``mastref`` and of each subcommand, from the parser.
* at the end of reading, every public name of ``mastref`` and of its subpackages
  (their ``__all__``) must be documented somewhere; a missing one is a build warning.
* ``:check:`name``` -- a link to the row of a check or control; an unknown name is a build
  warning (an error under ``-W``), so a renamed check breaks the build rather than the page.
* ``CheckedMatplotlibScraper`` -- sphinx-gallery's matplotlib scraper, after holding every
  figure of an example to ``mastref.plotting.figure_problems`` (title, labels, legend, y-limits
  that show the data, no legend over data, no hidden curve, no pile of markers, mathtext) and
  to ``conclusion_problems`` (the code block that draws a figure asserts on its numbers, and the
  next text block opens with one ``**Conclusion.**`` sentence): a gallery plot that breaks them
  fails the build.
"""

from __future__ import annotations

import ast
import re

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.addnodes import pending_xref
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)


def _registry() -> dict:
    from mastref.catalogue import registry

    return registry()


def _label(name: str) -> str:
    return "check-" + name.lower()


def _entries(arg: str | None) -> list:
    reg = _registry()
    if arg is None:
        return list(reg.values())
    if arg not in reg:
        raise ValueError(f"no registry entry {arg!r}; entries: {sorted(reg)}")
    return [reg[arg]]


def _caption(kind: str, items) -> str:
    claims = list(dict.fromkeys(item.theorem for item in items))
    return f"{kind} of {', '.join(claims)}" if len(claims) <= 2 else f"{kind}, every theorem"


def _table(
    caption: str, header: list[str], rows: list[list[nodes.Node]], widths: list[int]
) -> nodes.table:
    table = nodes.table(classes=["mastref-checks"])
    table += nodes.title(text=caption)
    group = nodes.tgroup(cols=len(header))
    table += group
    for w in widths:
        group += nodes.colspec(colwidth=w)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for h in header:
        row += nodes.entry("", nodes.paragraph(text=h))
    head += row
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += cell if isinstance(cell, nodes.paragraph) else nodes.paragraph("", "", cell)
            row += entry
        body += row
    return table


class _RegistryTable(SphinxDirective):
    optional_arguments = 1
    option_spec = {"anchors": directives.flag}

    def _name_cell(self, name: str) -> nodes.paragraph:
        """The name; with ``:anchors:`` a link target, else a link to that target."""
        para = nodes.paragraph()
        if "anchors" in self.options:
            target = nodes.target("", "", ids=[_label(name)], names=[_label(name)])
            self.state.document.note_explicit_target(target)
            para += target
            para += nodes.literal(text=name)
        else:
            para += _reference(name, name)
        return para

    def run(self) -> list[nodes.Node]:
        try:
            entries = _entries(self.arguments[0] if self.arguments else None)
        except ValueError as err:
            raise self.error(str(err)) from err
        return [self.build(entries)]


class ChecksDirective(_RegistryTable):
    """Table of checks: name, claim, kind, part, instance and method."""

    def build(self, entries) -> nodes.table:
        rows = []
        checks = [c for entry in entries for c in entry.checks]
        for c in checks:
            data = " (needs --data)" if c.needs_data and "--data" not in c.description else ""
            rows.append(
                [
                    self._name_cell(c.name),
                    nodes.Text(c.theorem),
                    nodes.Text(c.kind),
                    nodes.Text(c.part or "whole bound"),
                    nodes.Text(c.description + data),
                ]
            )
        return _table(
            _caption("Checks", checks),
            ["check", "claim", "kind", "part", "instance and method"],
            rows,
            [22, 14, 9, 10, 45],
        )


class ControlsDirective(_RegistryTable):
    """Table of negative controls: name, what was changed, status."""

    def build(self, entries) -> nodes.table:
        rows = []
        controls = [c for entry in entries for c in entry.controls]
        for c in controls:
            if c.true_because:
                status = f"true (not counted): {c.true_because}"
            elif c.unresolved:
                status = f"unresolved: {c.unresolved}"
            else:
                status = "violated on a stored counterexample"
            rows.append([self._name_cell(c.name), nodes.Text(c.change), nodes.Text(status)])
        return _table(
            _caption("Negative controls", controls),
            ["control", "statement changed", "status"],
            rows,
            [26, 34, 40],
        )


class CliDirective(SphinxDirective):
    """The help text of the command line, generated from ``mastref.cli.build_parser()``."""

    def run(self) -> list[nodes.Node]:
        import argparse
        import os

        from mastref.cli import build_parser

        saved = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "96"  # argparse wraps to the terminal width
        try:
            parser = build_parser()
            parser.prog = "mastref"
            out: list[nodes.Node] = [nodes.literal_block(text=parser.format_help())]
            for action in parser._actions:
                if isinstance(action, argparse._SubParsersAction):
                    for name, sub in action.choices.items():
                        out.append(nodes.rubric(text=f"mastref {name}"))
                        out.append(nodes.literal_block(text=sub.format_help()))
        finally:
            if saved is None:
                del os.environ["COLUMNS"]
            else:
                os.environ["COLUMNS"] = saved
        return out


def _reference(rawtext: str, name: str) -> pending_xref:
    """A cross-reference to the anchored table row of check or control ``name``."""
    ref = pending_xref(
        rawtext,
        refdomain="std",
        reftype="ref",
        reftarget=_label(name),
        refexplicit=True,
        refwarn=True,
    )
    ref += nodes.literal(text=name, classes=["xref", "mastref-check"])
    return ref


def check_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``:check:`name```: a link to the table row of a registered check or control."""
    known = {c.name for e in _registry().values() for c in (*e.checks, *e.controls)}
    if text not in known:
        msg = inliner.reporter.warning(f"unknown mastref check or control {text!r}", line=lineno)
        return [nodes.literal(rawtext, text)], [msg]
    return [_reference(rawtext, text)], []


#: Modules whose ``__all__`` the API reference must cover (a name may be documented under
#: ``mastref`` or under the subpackage).
PUBLIC_MODULES = (
    "mastref",
    "mastref.sketches",
    "mastref.problems",
    "mastref.theorems",
    "mastref.verify",
    "mastref.catalogue",
    "mastref.testing",
)


def check_api_coverage(app, env) -> None:
    """Warn about each public name (``__all__``) with no API entry."""
    import importlib

    documented = set(env.get_domain("py").objects)
    for modname in PUBLIC_MODULES:
        module = importlib.import_module(modname)
        for name in getattr(module, "__all__", ()):
            if f"mastref.{name}" not in documented and f"{modname}.{name}" not in documented:
                logger.warning(
                    f"public name {modname}.{name} is not in the API reference "
                    "(add it to docs/api/index.rst)",
                    type="mastref",
                    subtype="api-coverage",
                )


def setup(app):
    app.add_directive("mastref-checks", ChecksDirective)
    app.add_directive("mastref-controls", ControlsDirective)
    app.add_directive("mastref-cli", CliDirective)
    app.add_role("check", check_role)
    app.connect("env-check-consistency", check_api_coverage)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


#: The words that open the sentence following every gallery figure.
CONCLUSION = "**Conclusion.**"


def conclusion_problems(blocks, index: int) -> list[str]:
    """What is missing after the gallery code block ``blocks[index]``, which drew a figure:
    ``blocks`` are sphinx-gallery's ``Block(type, content, lineno)`` of one example.

    The code block must hold an ``assert`` (the numbers the sentence states, held true when the
    example runs), and the next block must be a text block whose first paragraph is one
    sentence opening with ``CONCLUSION``: what the reader should conclude from the figure.
    Returns the problems as sentences (empty: fine).
    """
    code = blocks[index]
    where = f"the code block at line {code.lineno}"
    problems = []
    if not any(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(code.content))):
        problems.append(f"{where} draws a figure but asserts nothing about its numbers")
    after = blocks[index + 1] if index + 1 < len(blocks) else None
    text = after.content.strip() if after is not None and after.type == "text" else ""
    paragraph = " ".join(text.split("\n\n")[0].split())
    if not paragraph.startswith(CONCLUSION):
        problems.append(f"{where} draws a figure not followed by a {CONCLUSION!r} sentence")
    else:
        sentence = paragraph[len(CONCLUSION) :].strip()
        ends = re.findall(r"[.!?](?:\s|$)", sentence)
        if not sentence or len(ends) != 1 or not sentence.endswith((".", "!", "?")):
            problems.append(
                f"{where}: the conclusion after it must be one sentence, not {sentence!r}"
            )
    return problems


class CheckedMatplotlibScraper:
    """sphinx-gallery image scraper: checks each open figure, then scrapes it as usual.

    A class defined in an importable module (not a function in conf.py), so that Sphinx can
    pickle the configuration.
    """

    def __call__(self, block, block_vars, gallery_conf, **kwargs):
        import matplotlib.pyplot as plt
        from sphinx_gallery.scrapers import matplotlib_scraper

        from mastref.plotting import figure_problems

        if plt.get_fignums():
            from sphinx_gallery.py_source_parser import split_code_and_text_blocks

            _, blocks = split_code_and_text_blocks(block_vars["src_file"])
            (index,) = [
                k for k, b in enumerate(blocks) if b.type == "code" and b.lineno == block.lineno
            ]
            problems = conclusion_problems(blocks, index)
            if problems:
                plt.close("all")
                raise RuntimeError(f"{block_vars['src_file']}: " + "; ".join(problems))
        for num in plt.get_fignums():
            fig = plt.figure(num)
            fig.canvas.draw()  # settle autoscaled limits before reading them
            problems = figure_problems(fig)
            if problems:
                plt.close("all")  # do not leak the figure into the next example
                raise RuntimeError(
                    f"{block_vars.get('src_file', 'example')}: figure {num} breaks the plot "
                    "invariants: " + "; ".join(problems)
                )
        return matplotlib_scraper(block, block_vars, gallery_conf, **kwargs)

    def __repr__(self) -> str:
        return "CheckedMatplotlibScraper"
