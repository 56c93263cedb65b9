"""The Commerce infrastructure as code (AWS CDK v2)."""
