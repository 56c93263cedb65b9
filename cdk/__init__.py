"""The Commerce infrastructure as code (AWS CDK v2).

The CDK app imports the event contract (`commerce.events`, in the shared layer's source) to build
rules and the schema registry from the same models the functions use.
"""

import sys
from pathlib import Path

_LAYER_SOURCE = str(Path(__file__).resolve().parent.parent / "layers" / "commerce" / "python")
if _LAYER_SOURCE not in sys.path:
    sys.path.insert(0, _LAYER_SOURCE)
