"""``kitchencam bandwidth``: the school's upload to the centre."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from kitchencam.cli import common
from kitchencam.cli.common import (
    JsonOpt,
    SiteOpt,
    finish,
)
from kitchencam.i18n import _

if TYPE_CHECKING:

    pass


def bandwidth_cmd(
    url: Annotated[
        str | None,
        typer.Option("--url", metavar="URL",
                     help=_("Where to upload (default: the site's centre URL + /api/v1/bandwidth/upload).")),
    ] = None,
    duration: Annotated[
        float, typer.Option("--duration", metavar="S", min=1, max=600, help=_("Seconds counted, after a warm-up."))
    ] = 20.0,
    streams: Annotated[
        int, typer.Option("--streams", metavar="N", min=1, max=4, help=_("Parallel connections (1-4)."))
    ] = 2,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Measure the school's sustained upload to the centre and how many cameras it carries.

    The token comes from KITCHENCAM_CENTRE_TOKEN or the keyring (credentials set --centre-token).
    Exit 4 if the centre cannot be reached, 5 if it refuses the token.

    \b
    Example: kitchencam bandwidth --duration 30 --streams 4
    """

    def produce() -> Any:
        from kitchencam import bandwidth as bw
        from kitchencam.errors import UsageError
        from kitchencam.profile import load_profile
        from kitchencam.store import Store

        site, ctx = common.site_context(site_path)
        if url is None and site is None:
            raise UsageError(_("No site config to take the centre's address from: pass --url URL, or create one "
                               "with kitchencam site init."))
        target = url or str(site.centre.url).rstrip("/") + "/api/v1/bandwidth/upload"
        profile = load_profile(site.profile if site else "thanhtri-2024")
        with Store(common.ENV.paths.store_file) as store:
            site_id = store.upsert_site(ctx.code, ctx.name).id
            on_site = len(store.list_devices(site_id, kind="camera"))
        from kitchencam.centre import centre_token
        from kitchencam.settings import SecretStore

        options: dict[str, Any] = {
            "token": centre_token(ctx.code, SecretStore(common.ENV.paths).get), "duration_s": duration,
            "warmup_s": bw.WARMUP_S, "streams": streams, "verify_tls": site.centre.verify_tls if site else True,
            "cap_kbps": profile.main_stream.bitrate_kbps_max, "cameras_on_site": on_site,
        }
        if as_json or not common.ENV.err.is_terminal:
            result = bw.measure(target, **options)
        else:
            from kitchencam.render import bandwidth_progress

            with bandwidth_progress(common.ENV.err, duration + bw.WARMUP_S) as show:
                result = bw.measure(target, progress=show, **options)
        with Store(common.ENV.paths.store_file) as store:
            store.save_bandwidth(site_id, mean_mbps=result.mean_mbps, p10_mbps=result.p10_mbps,
                                 duration_s=result.duration_s, streams=result.streams, url=result.url)
        return result

    from kitchencam.render import render_bandwidth

    finish("bandwidth", as_json, produce, render_bandwidth)
