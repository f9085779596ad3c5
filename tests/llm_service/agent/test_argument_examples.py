"""What a tool's whole-argument examples imply for the arguments a request leaves unsaid."""

from __future__ import annotations

from typing import Any

from llm_service.agent.argument_examples import implied_arguments

PROPERTIES: dict[str, dict[str, Any]] = {
    "namespace": {"type": "string", "examples": ["AWS/EC2", "AWS/RDS", "AWS/ECS"]},
    "metric_name": {"type": "string"},
    "dimensions": {"type": "object"},
}
DATABASE = {"DBInstanceIdentifier": "db"}
EXAMPLES = [
    {"namespace": "AWS/EC2", "metric_name": "CPUUtilization", "dimensions": {"InstanceId": "i-1"}},
    {"namespace": "AWS/RDS", "metric_name": "CPUUtilization", "dimensions": DATABASE},
    {"namespace": "AWS/RDS", "metric_name": "DatabaseConnections", "dimensions": DATABASE},
    {"namespace": "AWS/ECS", "metric_name": "CPUUtilization", "dimensions": {"ClusterName": "p"}},
    {
        "namespace": "AWS/ECS",
        "metric_name": "MemoryUtilization",
        "dimensions": {"ClusterName": "p"},
    },
]


def implied(said: dict[str, Any]) -> dict[str, Any]:
    return implied_arguments(said, PROPERTIES, EXAMPLES)


def test_an_unsaid_string_takes_the_one_value_the_agreeing_examples_give() -> None:
    said = {"metric_name": "CPUUtilization", "dimensions": {"InstanceId": "i-0f3a"}}
    assert implied(said) == {"namespace": "AWS/EC2", **said}
    assert implied({"metric_name": "DatabaseConnections"})["namespace"] == "AWS/RDS"
    assert implied({"dimensions": {"ClusterName": "prod-east"}})["namespace"] == "AWS/ECS"


def test_words_where_a_machine_name_belongs_give_way_to_the_implied_value() -> None:
    said = {"namespace": "cpu on instance", "metric_name": "CPUUtilization",
            "dimensions": {"InstanceId": "i-0f3a"}}  # fmt: skip
    assert implied(said)["namespace"] == "AWS/EC2"


def test_a_map_under_a_key_the_agreeing_examples_do_not_use_takes_theirs() -> None:
    said = {"namespace": "AWS/RDS", "dimensions": {"InstanceId": "prod-orders-db"}}
    assert implied(said)["dimensions"] == {"DBInstanceIdentifier": "prod-orders-db"}


def test_nothing_is_implied_where_the_examples_disagree_or_nothing_was_said() -> None:
    assert implied({"metric_name": "CPUUtilization"}) == {"metric_name": "CPUUtilization"}
    assert implied({}) == {}
    assert implied_arguments({"metric_name": "Errors"}, PROPERTIES, ()) == {"metric_name": "Errors"}
