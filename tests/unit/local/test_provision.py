"""The provisioner reports what it cannot emulate by name instead of quietly faking it."""

from __future__ import annotations

import logging

import pytest

from local.provision import Provisioner
from local.template import Template


def test_an_unknown_resource_type_is_reported_by_name(caplog: pytest.LogCaptureFixture) -> None:
    template = Template(
        {
            "Resources": {
                "Mystery": {"Type": "AWS::Nimble::Studio", "Properties": {}},
                "Role": {"Type": "AWS::IAM::Role", "Properties": {}},  # not needed locally
                "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},  # emulated by the runtime
            }
        },
        "Commerce-test",
    )
    provisioner = Provisioner(template, None)

    with caplog.at_level(logging.WARNING, logger="local.provision"):
        physical = provisioner.provision_all()

    assert provisioner.unknown == ["Mystery (AWS::Nimble::Studio)"]
    assert "Mystery (AWS::Nimble::Studio)" in caplog.text
    assert set(physical) == {"Mystery", "Role", "Fn"}  # references to it still resolve
