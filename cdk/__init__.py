"""The Commerce infrastructure as code (AWS CDK v2).

The CDK app imports the event contract (`commerce.events`, the shared layer package, which
`make venv` puts on the venv's path) to build rules and the schema registry from the same models
the functions use.
"""
