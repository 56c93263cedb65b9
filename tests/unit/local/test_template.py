"""The template reader: intrinsic functions, CloudFormation-style names, dependency order."""

from __future__ import annotations

import pytest

from local.template import Physical, Resolver, Template, TemplateError, generated_name


def _template() -> Template:
    return Template(
        {
            "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
            "Conditions": {
                "IsDev": {"Fn::Equals": [{"Ref": "Stage"}, "dev"]},
                "IsProd": {"Fn::Not": [{"Condition": "IsDev"}]},
            },
            "Resources": {
                "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
                "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
                "Fn": {
                    "Type": "AWS::Lambda::Function",
                    "DependsOn": "Role",
                    "Properties": {"Environment": {"Variables": {"T": {"Ref": "Table"}}}},
                },
                "Role": {"Type": "AWS::IAM::Role", "Properties": {"Q": {"Fn::Sub": "${Queue.Arn}"}}},
            },
        },
        "Shop-dev",
    )


def _resolver() -> Resolver:
    physical = {
        "Table": Physical("Shop-dev-Table-ABC", {"Arn": "arn:table", "StreamArn": "arn:table/stream/1"}),
        "Queue": Physical("http://q/Shop-dev-Queue", {"Arn": "arn:queue", "QueueName": "Shop-dev-Queue"}),
    }
    return Resolver(_template(), physical)


def test_ref_and_getatt_resolve_to_local_physical_values() -> None:
    r = _resolver()
    assert r.resolve({"Ref": "Table"}) == "Shop-dev-Table-ABC"
    assert r.resolve({"Fn::GetAtt": ["Table", "StreamArn"]}) == "arn:table/stream/1"
    assert r.resolve({"Fn::GetAtt": "Queue.QueueName"}) == "Shop-dev-Queue"


def test_pseudo_parameters_and_parameter_defaults() -> None:
    r = _resolver()
    assert r.resolve({"Ref": "AWS::Region"}) == "us-east-1"
    assert r.resolve({"Ref": "AWS::AccountId"}) == "123456789012"
    assert r.resolve({"Ref": "AWS::StackName"}) == "Shop-dev"
    assert r.resolve({"Ref": "AWS::URLSuffix"}) == "amazonaws.com"
    assert r.resolve({"Ref": "Stage"}) == "dev"


def test_sub_string_and_list_forms_including_escapes() -> None:
    r = _resolver()
    assert (
        r.resolve({"Fn::Sub": "${Table}/${Queue.Arn}/${AWS::Partition}/${!Literal}"})
        == "Shop-dev-Table-ABC/arn:queue/aws/${Literal}"
    )
    assert (
        r.resolve({"Fn::Sub": ["${Name}-${Table}", {"Name": {"Ref": "AWS::Region"}}]})
        == "us-east-1-Shop-dev-Table-ABC"
    )


def test_join_select_split_if_and_conditions() -> None:
    r = _resolver()
    assert r.resolve({"Fn::Join": ["-", ["a", {"Ref": "Table"}, 3]]}) == "a-Shop-dev-Table-ABC-3"
    assert r.resolve({"Fn::Select": [2, {"Fn::Split": [",", "x,y,z"]}]}) == "z"
    assert r.resolve({"Fn::If": ["IsDev", "dev-value", "prod-value"]}) == "dev-value"
    assert r.resolve({"Fn::If": ["IsProd", "prod-value", {"Ref": "AWS::NoValue"}]}) is not None
    assert r.resolve({"Key": {"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]}}) == {}
    assert r.resolve([1, {"Ref": "AWS::NoValue"}, 2]) == [1, 2]


def test_unknown_attribute_is_an_error() -> None:
    with pytest.raises(TemplateError):
        _resolver().resolve({"Fn::GetAtt": ["Table", "Nope"]})


def test_generated_names_look_like_cloudformation_and_are_stable() -> None:
    name = generated_name("Commerce-dev", "OrdersTable1A2B")
    assert name.startswith("Commerce-dev-OrdersTable1A2B-")
    assert len(name.rsplit("-", 1)[1]) == 12
    assert name == generated_name("Commerce-dev", "OrdersTable1A2B")
    assert len(generated_name("Commerce-dev", "X" * 100, max_length=64)) == 64


def test_dependency_order_puts_referenced_resources_first() -> None:
    order = _template().dependency_order()
    assert order.index("Table") < order.index("Fn")
    assert order.index("Role") < order.index("Fn")  # DependsOn
    assert order.index("Queue") < order.index("Role")  # through Fn::Sub
