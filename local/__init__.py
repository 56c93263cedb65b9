"""The Docker-free local stack: runs the synthesized CDK template on this machine (`python -m local`)."""
