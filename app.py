#!/usr/bin/env python3
"""CDK entry point: one Commerce stack per stage (`-c stage=dev|prod`), checked by cdk-nag."""

from __future__ import annotations

import json
import os
from pathlib import Path

# The machine's Node.js may be past jsii's support window; the synth itself is unaffected.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

import aws_cdk as cdk

from cdk.app import build_app

ROOT = Path(__file__).resolve().parent


def main() -> cdk.App:
    # `python app.py` (make synth, tests) sees the same defaults as the CDK CLI does via cdk.json;
    # values given on the command line (`-c key=value`, CDK_CONTEXT_JSON) take precedence.
    defaults = json.loads((ROOT / "cdk.json").read_text())["context"]
    app = cdk.App(context=defaults)
    build_app(app)
    app.synth()
    return app


if __name__ == "__main__":
    main()
