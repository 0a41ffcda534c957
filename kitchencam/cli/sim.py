"""``kitchencam sim``: serve a simulated school until Ctrl+C."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from kitchencam.cli.common import (
    ListOpt,
    finish,
)
from kitchencam.i18n import _

if TYPE_CHECKING:
    from rich.console import Console



def sim(
    cameras: Annotated[
        int | None,
        typer.Option(
            "--cameras",
            "-n",
            min=1,
            max=250,
            help=_("How many cameras (default: one per --persona)."),
        ),
    ] = None,
    persona: Annotated[
        ListOpt, typer.Option("--persona", "-p", metavar="NAME", help=_("Persona, repeatable, used round-robin."))
    ] = None,
    bind_base: Annotated[
        str,
        typer.Option("--bind-base", metavar="IP", help=_("Camera k listens on this address + k; the centre on it.")),
    ] = "127.0.0.10",
    http_port: Annotated[
        int, typer.Option("--http-port", min=0, max=65535, help=_("HTTP/ONVIF port of every camera (0: any free)."))
    ] = 80,
    rtsp_port: Annotated[
        int, typer.Option("--rtsp-port", min=0, max=65535, help=_("RTSP port of every camera (0: any free)."))
    ] = 554,
    user: Annotated[str | None, typer.Option("--user", help=_("Administrator user of the simulated cameras."))] = None,
    password: Annotated[
        str | None, typer.Option("--password", help=_("Password of the simulated cameras (simulator only)."))
    ] = None,
    fault: Annotated[
        ListOpt,
        typer.Option(
            "--fault",
            metavar="SPEC",
            help=_(
                "Camera fault, repeatable: latency=MS, drop=P, fault-on=OP, malformed=OP, reboot-after-set, "
                "clock-skew=S, html-401, html-400, refuse-tz=TEXT."
            ),
        ),
    ] = None,
    centre: Annotated[bool, typer.Option("--centre", help=_("Also serve a simulated district centre."))] = False,
    centre_port: Annotated[
        int, typer.Option("--centre-port", min=0, max=65535, help=_("Port of the centre (0: any free)."))
    ] = 8000,
    centre_token: Annotated[
        str | None, typer.Option("--centre-token", help=_("Bearer token the centre accepts (default: random)."))
    ] = None,
    centre_fault: Annotated[
        ListOpt,
        typer.Option(
            "--centre-fault", metavar="SPEC", help=_("Centre fault, repeatable: 500, 503, down, slow=MS, drop=P, 401.")
        ),
    ] = None,
    centre_sip_port: Annotated[
        int,
        typer.Option(
            "--centre-sip-port",
            min=0,
            max=65535,
            help=_("UDP port of the centre's GB/T 28181 registrar (0: any free)."),
        ),
    ] = 5060,
    centre_auto_register_port: Annotated[
        int,
        typer.Option(
            "--centre-auto-register-port",
            min=0,
            max=65535,
            help=_("TCP port of the centre's Dahua Auto Register stand-in (0: any free)."),
        ),
    ] = 7000,
    centre_isup_port: Annotated[
        int,
        typer.Option(
            "--centre-isup-port",
            min=0,
            max=65535,
            help=_("TCP port of the centre's Hikvision ISUP stand-in (0: any free)."),
        ),
    ] = 7660,
    no_discovery: Annotated[bool, typer.Option("--no-discovery", help=_("Do not answer WS-Discovery."))] = False,
) -> None:
    """Serve a simulated school (ONVIF cameras, RTSP, WS-Discovery, the centre) until Ctrl+C.

    Prints one JSON line per endpoint, then serves. Example:

    \b
    kitchencam sim --cameras 3 --persona dahua-wizsense2 --persona generic-720p --http-port 8080 --centre
    """
    import json
    import signal
    import threading

    from kitchencam.errors import UsageError

    def produce() -> Any:
        from kitchencam.sim.school import SimulatedSchool

        try:
            school = SimulatedSchool(
                personas=persona or ["dahua-wizsense2"],
                cameras=cameras,
                bind_base=bind_base,
                http_port=http_port,
                rtsp_port=rtsp_port,
                user=user,
                password=password,
                faults=fault or [],
                centre=centre,
                centre_port=centre_port,
                centre_token=centre_token,
                centre_faults=centre_fault or [],
                centre_sip_port=centre_sip_port,
                centre_auto_register_port=centre_auto_register_port,
                centre_isup_port=centre_isup_port,
                discovery=not no_discovery,
            )
            endpoints = school.start()
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        except PermissionError as exc:
            raise UsageError(
                _(
                    "Cannot listen ({reason}). Ports below 1024 need administrator rights: "
                    "use --http-port 8080 --rtsp-port 8554 --centre-port 8000."
                ).format(reason=exc)
            ) from None
        except OSError as exc:
            raise UsageError(
                _(
                    "Cannot listen on {base} ({reason}). Is another simulator running there? "
                    "Choose another --bind-base."
                ).format(base=bind_base, reason=exc)
            ) from None
        return school, endpoints

    def serve(console: Console, started: Any) -> None:
        school, endpoints = started
        for endpoint in endpoints:
            console.file.write(json.dumps(endpoint, ensure_ascii=False) + "\n")
        console.file.flush()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_a: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            school.stop()

    finish("sim", False, produce, serve)
