"""``kitchencam demo``: the whole job against a simulated school on loopback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kitchencam.cli import common
from kitchencam.cli.common import (
    JsonOpt,
    finish,
)
from kitchencam.i18n import _

if TYPE_CHECKING:

    pass


def demo(as_json: JsonOpt = False) -> None:
    """Run the whole job against a simulated school on loopback (no root, no fixed port).

    Example: kitchencam demo
    """

    def produce() -> Any:
        from kitchencam.demo import run_demo

        out_dir = common.ENV.paths.data_dir / "demo"
        if as_json:
            return run_demo(out_dir=out_dir)
        with common.ENV.err.status(_("Starting a simulated school on loopback...")) as status:
            return run_demo(progress=status.update, out_dir=out_dir)

    from kitchencam.render import render_demo

    finish("demo", as_json, produce, render_demo)
