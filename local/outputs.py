"""A stack's outputs file — `cdk deploy --outputs-file`'s, or the local stack's `.local/outputs.json` —
and pointing AWS clients at the stack it describes.

The local stack's outputs carry `AwsEndpoint`: clients then go to that stand-in, with dummy
credentials and its region. A deployed stack's outputs name its region in every ARN and URL: clients
go there, whatever region the shell is configured for (botocore reads `AWS_DEFAULT_REGION`, not the
`AWS_REGION` that Lambda and many shells set, so a tool that relied on the shell failed with
`NoRegionError`). Tools call `target_stack(...)` before creating any client.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

LOCAL_REGION = "us-east-1"
_REGION_IN_VALUE = re.compile(
    r"^arn:aws[\w-]*:[\w-]+:(?P<arn>[a-z]{2}(?:-[a-z]+)+-\d):|\.(?P<url>[a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com"
)


def read(path: Path, stack: str | None = None, *, needs: tuple[str, ...] = ()) -> tuple[str, dict[str, Any]]:
    """(stack name, its outputs) from an outputs file; the stack is guessed when the file has one
    stack with every output in `needs`. SystemExit with what to do otherwise."""
    if not path.exists():
        raise SystemExit(
            f"{path} does not exist: pass the file `cdk deploy --outputs-file` wrote, or start the "
            "local stack (`make dev` writes .local/outputs.json)"
        )
    outputs: dict[str, dict[str, Any]] = json.loads(path.read_text())
    if stack is None:
        candidates = [name for name, values in outputs.items() if all(key in values for key in needs)]
        if len(candidates) != 1:
            raise SystemExit(f"pick a stack with --stack (found: {', '.join(sorted(outputs)) or 'none'})")
        stack = candidates[0]
    if stack not in outputs:
        raise SystemExit(f"stack {stack!r} is not in {path} (found: {', '.join(sorted(outputs)) or 'none'})")
    missing = [key for key in needs if key not in outputs[stack]]
    if missing:
        raise SystemExit(f"{path} lacks outputs {missing} for {stack}")
    return stack, outputs[stack]


def region_of(outputs: dict[str, Any]) -> str | None:
    """The region a deployed stack's outputs name (in an ARN or an amazonaws.com URL), if any."""
    for value in outputs.values():
        match = _REGION_IN_VALUE.search(str(value))
        if match:
            return match["arn"] or match["url"]
    return None


def target_stack(outputs: dict[str, Any], environ: Any = os.environ) -> str:
    """Point botocore (AWS_ENDPOINT_URL, AWS_DEFAULT_REGION, credentials) at the stack the outputs
    describe; returns a phrase for the tool's output ("the local stack at ...", "us-west-2")."""
    endpoint = outputs.get("AwsEndpoint")
    if endpoint:
        environ["AWS_ENDPOINT_URL"] = str(endpoint)
        environ["AWS_DEFAULT_REGION"] = LOCAL_REGION
        environ["AWS_ACCESS_KEY_ID"] = "local"  # the stand-in takes any; a real key never leaves
        environ["AWS_SECRET_ACCESS_KEY"] = "local"  # noqa: S105 - the stand-in's dummy credentials
        environ.pop("AWS_SESSION_TOKEN", None)
        environ.pop("AWS_PROFILE", None)
        return f"the local stack at {endpoint}"
    region = region_of(outputs) or environ.get("AWS_DEFAULT_REGION") or environ.get("AWS_REGION")
    if not region:
        raise SystemExit("cannot tell the stack's region from its outputs: set AWS_DEFAULT_REGION")
    environ["AWS_DEFAULT_REGION"] = region
    return region
