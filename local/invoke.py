"""The Docker-free `sam local invoke`: run one function once against the local stack's resources.

Attaches to a running `python -m local serve` (via its state file) when there is one; otherwise
provisions the template in a private, temporary AWS stand-in.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from local.functions import find_function, load_functions
from local.moto_server import Clients, MotoServer
from local.net import free_port
from local.provision import Provisioner
from local.runtime import Runtime
from local.stack import attach_resolver
from local.template import Template

log = logging.getLogger("local.invoke")


def run_invoke(template_path: Path, state_dir: Path, query: str, event: Any, attach: bool = True) -> int:
    template = Template.load(template_path)
    moto: MotoServer | None = None
    attached = attach_resolver(template, state_dir) if attach else None
    extra_env: dict[str, str] = {}
    if attached is not None:
        resolver, state = attached
        endpoint = str(state["awsEndpoint"])
        if state.get("stripeApiBase"):
            extra_env["STRIPE_API_BASE"] = str(state["stripeApiBase"])
        log.info("attached to the running local stack (AWS %s)", endpoint)
    else:
        moto = MotoServer(free_port()).start()
        endpoint = moto.endpoint
        provisioner = Provisioner(template, Clients(endpoint))
        provisioner.provision_all()
        provisioner.run_deferred()
        resolver = provisioner.resolver
        log.info("no running local stack; provisioned a temporary one at %s", endpoint)
    runtime = Runtime(load_functions(template, resolver), endpoint, None, extra_env=extra_env, max_workers=1)
    try:
        try:
            spec = find_function(runtime.functions, query)
        except KeyError as exc:
            log.error("%s", exc.args[0])
            return 2
        result = runtime.invoke(spec, event)
        runtime.log_invocation(spec, "invoke", result)
        sys.stdout.write(json.dumps(result.payload if result.ok else result.error, indent=2) + "\n")
        sys.stdout.flush()
        return 0 if result.ok else 1
    finally:
        runtime.stop()
        if moto is not None:
            moto.stop()
