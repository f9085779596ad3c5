"""Slot values the request settles without the model (`slot_values`), over the real tools of
the built-in MCP servers (listed in memory): spoken numbers, named enum values, cued titles and
prefixes, spoken time ranges and derived ends, and slots the request cannot fill left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from bench.router import builtin_tools
from llm_service.agent.connections import AgentTool
from llm_service.agent.slot_values import (
    derived_end,
    enum_choice,
    enum_named,
    meeting_title,
    normalise_numbers,
    repository_said,
    request_numbers,
    spoken_duration,
    spoken_slashes,
    value_after,
    zone_named,
)
from llm_service.agent.spoken_times import spoken_times
from llm_service.agent.tool_router import chosen_arguments, fitted_to, slot_schema

MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tools() -> dict[str, AgentTool]:
    return {tool.qualified: tool for tool in await builtin_tools()}


def settled(tool: AgentTool, text: str) -> dict[str, Any] | None:
    return chosen_arguments(tool, slot_schema(tool, text, NOW))


def at(day: int, hour: int, minute: int = 0) -> str:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC).isoformat()


def test_spoken_numbers_become_digits_but_a_lone_one_stays_a_word() -> None:
    assert normalise_numbers("close issue four hundred and twelve") == "close issue 412"
    assert request_numbers("show PR sixty one please") == [61]
    assert request_numbers("give me one minute") == []
    assert request_numbers("create a task") == []


def test_spoken_ranges_and_worded_minutes_are_times() -> None:
    friday = spoken_times("am I busy friday between one and three", NOW)
    assert friday == [datetime(2026, 3, 6, 13, tzinfo=UTC), datetime(2026, 3, 6, 15, tzinfo=UTC)]
    assert spoken_times("lunch tomorrow at eleven fifteen", NOW) == [
        datetime(2026, 3, 5, 11, 15, tzinfo=UTC)
    ]
    assert spoken_times("from 10 to 11:30 on monday", NOW)[1] == datetime(
        2026, 3, 9, 11, 30, tzinfo=UTC
    )
    assert spoken_times("block out fifteen minutes", NOW) == []


def test_an_unspoken_end_is_the_start_plus_the_duration_said() -> None:
    assert spoken_duration("for forty five minutes") == timedelta(minutes=45)
    assert spoken_duration("for half an hour") == timedelta(minutes=30)
    assert spoken_duration("for an hour and a half") == timedelta(minutes=90)
    assert spoken_duration("a two and a half hour workshop") == timedelta(minutes=150)
    assert derived_end("at ten", NOW) == NOW + timedelta(hours=1)


def test_one_named_enum_value_is_chosen_and_the_tools_own_words_do_not_count() -> None:
    assert enum_choice(["open", "closed", "all"], "list the closed ones", frozenset()) == "closed"
    assert enum_choice(["open", "closed", "all"], "open or closed, all", frozenset()) == "all"
    assert enum_choice(["board", "doc", "folder"], "find docs about it", frozenset()) == "doc"
    merge = frozenset({"merge", "pull", "request"})
    assert enum_choice(["merge", "squash", "rebase"], "merge PR 4", merge) is None
    assert enum_choice(["queued", "failure"], "show failed runs", frozenset()) == "failure"


def test_an_enum_value_is_named_by_its_derived_words_and_the_words_setting_it_apart() -> None:
    sorts = ["created", "updated", "popularity", "long-running"]
    assert enum_choice(sorts, "most popular first", frozenset()) == "popularity"
    assert enum_choice(sorts, "the longest running pull requests", frozenset()) == "long-running"
    capabilities = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
    assert enum_named(capabilities, "it needs the named iam capability", frozenset()) == [
        "CAPABILITY_NAMED_IAM"
    ]
    assert enum_named(capabilities, "with the iam capability", frozenset()) == ["CAPABILITY_IAM"]
    assert enum_named(capabilities, "update the iam stack", frozenset()) == []
    metrics = ["UNBLENDED_COST", "BLENDED_COST", "NET_UNBLENDED_COST"]
    assert enum_choice(metrics, "forecast the blended spend", frozenset()) == "BLENDED_COST"
    assert enum_choice(metrics, "net unblended cost", frozenset()) == "NET_UNBLENDED_COST"


def test_cued_values_stop_before_time_and_place_words() -> None:
    assert value_after("add a task called pay rent to board 7", "called") == "pay rent"
    assert value_after("an event named retro on friday at 4", "named") == "retro"
    assert value_after("groups starting with /ecs/web please", "starting with") == "/ecs/web"
    assert meeting_title("book time with Omar on tuesday at 11") == "Meeting with Omar"
    assert meeting_title("add coffee with Lena tomorrow") == "coffee with Lena"


@MODULE_LOOP
async def test_spoken_numbers_fill_number_slots_and_never_the_year(
    tools: dict[str, AgentTool],
) -> None:
    assert settled(tools["github__get_issue"], "read me issue two hundred and six") == {
        "issue_number": 206
    }
    assert settled(tools["github__merge_pull_request"], "merge PR forty") == {"pull_number": 40}
    assert slot_schema(tools["github__get_issue"], "show me that issue", NOW)["properties"] == {}


@MODULE_LOOP
async def test_a_required_end_not_spoken_is_derived(tools: dict[str, AgentTool]) -> None:
    freebusy = tools["calendar__get_freebusy"]
    assert settled(freebusy, "am I free on thursday at nine thirty") == {
        "start": at(5, 9, 30),
        "end": at(5, 10, 30),
    }
    assert settled(freebusy, "am I busy friday between one and three") == {
        "start": at(6, 13),
        "end": at(6, 15),
    }


@MODULE_LOOP
async def test_object_slots_are_left_for_the_tool_to_ask_for(tools: dict[str, AgentTool]) -> None:
    change = tools["monday__change_item_column_values"]
    assert settled(change, "change the columns of item 31 on board eight") == {
        "board_id": "8",
        "item_id": "31",
    }


@MODULE_LOOP
async def test_named_enum_values_and_cued_strings_are_offered_unasked(
    tools: dict[str, AgentTool],
) -> None:
    assert settled(tools["github__list_issues"], "read the closed issues") == {"state": "closed"}
    assert settled(tools["monday__search"], "look for the finance folder on monday") == {
        "search_term": "finance",
        "search_type": "folder",
    }
    update = slot_schema(tools["calendar__update_event"], "rename my sync to roadmap chat", NOW)
    assert update["properties"]["summary"]["enum"] == ["roadmap chat"]
    groups = tools["aws__describe_log_groups"]
    assert settled(groups, "log groups starting with /aws/batch") == {"name_prefix": "/aws/batch"}


@MODULE_LOOP
async def test_published_slot_cues_reach_the_agent(tools: dict[str, AgentTool]) -> None:
    groups = tools["aws__describe_log_groups"]
    assert "log groups named" in groups.slot_cues["name_prefix"]
    assert settled(groups, "which log groups named prod-api exist") == {"name_prefix": "prod-api"}


@MODULE_LOOP
async def test_event_titles_leave_out_time_words_and_bare_names(
    tools: dict[str, AgentTool],
) -> None:
    create = tools["calendar__create_event"]
    yoga = slot_schema(create, "add yoga class on sunday at 9", NOW)["properties"]
    assert "yoga class" in yoga["summary"]["enum"]
    assert not any("sunday" in span or "9" in span for span in yoga["summary"]["enum"])
    assert settled(create, "set up something with Priya on monday at 2") == {
        "summary": "Meeting with Priya",
        "start": at(9, 14),
    }


@MODULE_LOOP
async def test_comment_text_file_names_and_named_ids(tools: dict[str, AgentTool]) -> None:
    comment = tools["github__add_issue_comment"]
    assert settled(comment, "comment on issue 9 saying the fix is out tonight please") == {
        "issue_number": 9,
        "body": "the fix is out tonight",
    }
    assert settled(comment, "comment on issue 9 that the fix is deployed") == {
        "issue_number": 9,
        "body": "the fix is deployed",
    }
    trigger = tools["github__trigger_workflow"]
    assert settled(trigger, "kick off release.yml on main") == {
        "workflow_id": "release.yml",
        "ref": "main",
    }, "the server publishes 'on' as the cue of ref"
    move = tools["monday__move_item_to_group"]
    assert settled(move, "put item 12 in the archive group") == {
        "item_id": "12",
        "group_id": "archive",
    }
    stack = tools["aws__describe_stack"]
    assert settled(stack, "how is the payments-stack doing") == {"stack_name": "payments-stack"}


@MODULE_LOOP
async def test_names_said_beside_their_nouns(tools: dict[str, AgentTool]) -> None:
    """A name of up to three words before its noun, or one after it, fills the slot named by
    that noun, required or not; a prefix also follows "start with"."""
    trigger = tools["github__trigger_workflow"]
    assert settled(trigger, "kick off the nightly build workflow") == {
        "workflow_id": "nightly build"
    }
    services = tools["aws__list_ecs_services"]
    assert settled(services, "which services run in the analytics cluster") == {
        "cluster": "analytics"
    }
    describe = tools["aws__describe_ecs_service"]
    assert settled(describe, "describe the orders service on cluster blue") == {
        "service_name": "orders",
        "cluster": "blue",
    }
    redeploy = slot_schema(
        tools["aws__redeploy_ecs_service"], "redeploy billing on the payments cluster", NOW
    )
    assert redeploy["properties"]["cluster"]["enum"] == ["payments"]
    groups = tools["aws__describe_log_groups"]
    assert settled(groups, "which log groups start with lambda") == {"name_prefix": "lambda"}


@MODULE_LOOP
async def test_search_words_follow_the_cues_their_servers_publish(
    tools: dict[str, AgentTool],
) -> None:
    """What to search for follows "about", "mentioning", "for" or "with"; a name slot also
    follows "named"; a title follows "saying" when no title cue is said."""
    issues = tools["github__search_issues"]
    assert settled(issues, "find issues about memory leaks") == {"query": "memory leaks"}
    assert settled(issues, "search github for issues mentioning timeout errors") == {
        "query": "timeout errors"
    }
    events = tools["calendar__search_events"]
    assert settled(events, "find the meeting with marcus") == {"query": "marcus"}
    boards = tools["monday__search"]
    assert settled(boards, "search monday for anything called onboarding checklist") == {
        "search_term": "onboarding checklist"
    }
    history = tools["aws__get_alarm_history"]
    assert settled(history, "history for the alarm high cpu") == {"alarm_name": "high cpu"}
    stack_events = tools["aws__list_stack_events"]
    assert settled(stack_events, "show events for the stack named web frontend") == {
        "stack_name": "web-frontend"
    }
    create = tools["github__create_issue"]
    said = settled(create, "make an issue saying the docs link is dead")
    assert said is not None
    assert said["title"] == "docs link is dead"


@MODULE_LOOP
async def test_state_verbs_and_spoken_durations(tools: dict[str, AgentTool]) -> None:
    update = slot_schema(tools["github__update_issue"], "please close issue 31", NOW)
    assert update["properties"]["state"]["enum"] == ["closed"]
    free = tools["calendar__find_free_slot"]
    assert settled(free, "find me a free two hour window") == {"duration_minutes": 120}
    assert settled(free, "find a free hour") == {"duration_minutes": 60}
    assert settled(free, "find me a spare half hour") == {"duration_minutes": 30}


@MODULE_LOOP
async def test_names_after_the_cues_their_servers_publish(tools: dict[str, AgentTool]) -> None:
    pulls = tools["github__list_pull_requests"]
    assert settled(pulls, "list pull requests from the fix-typo branch") == {"head": "fix-typo"}
    assert settled(pulls, "open prs targeting main") == {"state": "open", "base": "main"}
    runs = tools["github__list_workflow_runs"]
    assert settled(runs, "list the failed runs on develop by alice") == {
        "branch": "develop",
        "status": "failure",
        "actor": "alice",
    }, "a name ends before the next preposition"
    assert settled(runs, "show the runs on the main branch") == {"branch": "main"}
    assert settled(runs, "list runs by the nightly workflow") == {"workflow_id": "nightly"}
    assert "branch" not in (settled(runs, "any runs on monday") or {}), "a time is no branch"
    people = tools["monday__list_users_and_teams"]
    assert settled(people, "who is priya on monday") == {"name": "priya"}
    alarms = tools["aws__get_active_alarms"]
    assert settled(alarms, "show me alarms for checkout") == {"name_prefix": "checkout"}


@MODULE_LOOP
async def test_an_optional_id_takes_the_word_beside_its_noun(tools: dict[str, AgentTool]) -> None:
    items = tools["monday__get_board_items_page"]
    assert settled(items, "show the items on board 42 in the backlog group") == {
        "board_id": "42",
        "group_id": "backlog",
    }
    update = tools["monday__create_update"]
    assert settled(update, "add an update to item 301: shipped to staging") == {
        "item_id": "301",
        "body": "shipped to staging",
    }


@MODULE_LOOP
async def test_queries_and_texts_keep_only_what_they_ask_about(tools: dict[str, AgentTool]) -> None:
    issues = tools["github__search_issues"]
    assert settled(issues, "look for github issues on flaky uploads") == {
        "query": "flaky uploads"
    }, "the tool's own words are cut off a query's edges"
    events = tools["calendar__search_events"]
    assert settled(events, "when do I have the vet") == {"query": "vet"}
    standup = settled(events, "when is the morning standup")
    assert standup is not None and standup["query"] == "morning standup", "a name, not a time"
    create = tools["github__create_issue"]
    assert settled(
        create, "open an issue called broken link in footer with the body the about link is 404"
    ) == {"title": "broken link in footer", "body": "the about link is 404"}, (
        "a title ends where the body's cue starts; the body runs to the end"
    )


@MODULE_LOOP
async def test_a_repository_said_as_github_writes_it_fills_owner_and_repo(
    tools: dict[str, AgentTool],
) -> None:
    issues = tools["github__list_issues"]
    assert settled(issues, "list the issues of the acme org's billing repo") == {
        "owner": "acme",
        "repo": "billing",
    }
    assert settled(issues, "list open issues in octocat/hello-world") == {
        "state": "open",
        "owner": "octocat",
        "repo": "hello-world",
    }


@MODULE_LOOP
async def test_a_name_loses_its_slots_own_word(tools: dict[str, AgentTool]) -> None:
    trigger = tools["github__trigger_workflow"]
    assert settled(trigger, "trigger workflow ci.yml on ref develop") == {
        "workflow_id": "ci.yml",
        "ref": "develop",
    }
    create = tools["calendar__create_event"]
    lunch = settled(create, "create an event Team Lunch on friday at noon")
    assert lunch is not None and lunch["summary"] == "Team Lunch"
    assert "event_id" not in lunch, "an optional id takes no word after its noun"


@MODULE_LOOP
async def test_a_value_in_quotes_after_its_cue_is_taken_whole(tools: dict[str, AgentTool]) -> None:
    create = tools["github__create_issue"]
    assert settled(create, "create a github issue titled 'Docs typo' with body 'teh README'") == {
        "title": "Docs typo",
        "body": "teh README",
    }
    issues = tools["github__search_issues"]
    assert settled(issues, "search github issues with the query memory leak is:open") == {
        "query": "memory leak is:open"
    }
    update = tools["monday__create_update"]
    assert settled(update, "leave an update on item 5 with the message waiting for review") == {
        "item_id": "5",
        "body": "waiting for review",
    }


@MODULE_LOOP
async def test_a_list_of_names_takes_the_one_beside_its_noun_or_said_as_a_path(
    tools: dict[str, AgentTool],
) -> None:
    logs = tools["aws__run_logs_insights_query"]
    assert settled(logs, "search the api logs for timeouts") == {
        "log_group_names": ["api"],
        "query": "timeouts",
    }
    path = settled(logs, "run a logs insights query for errors on /aws/lambda/checkout")
    assert path is not None and path["log_group_names"] == ["/aws/lambda/checkout"]


def test_a_number_said_in_parts_is_one_number_but_a_clock_time_is_not() -> None:
    assert normalise_numbers("open item four four one two") == "open item 4412"
    assert normalise_numbers("comment on issue twenty oh six") == "comment on issue 2006"
    assert normalise_numbers("show PR one forty") == "show PR 140"
    assert request_numbers("book it at two thirty") == [2, 30]
    assert request_numbers("book it for 2 30 pm") == [2, 30]


@MODULE_LOOP
async def test_how_many_results_a_request_wants_fills_the_slot_that_caps_them(
    tools: dict[str, AgentTool],
) -> None:
    runs = tools["github__list_workflow_runs"]
    assert settled(runs, "show the last three workflow runs on develop") == {
        "branch": "develop",
        "per_page": 3,
    }
    jobs = tools["aws__list_jobs"]
    assert settled(jobs, "list the top twenty aws jobs") == {"limit": 20}
    events = tools["aws__list_stack_events"]
    recent = settled(events, "what happened to stack web-prod in the last 2 days")
    assert recent == {"stack_name": "web-prod"}, "a span of time is not a count"


@MODULE_LOOP
async def test_a_list_takes_the_names_after_its_cue_before_its_noun_or_as_paths(
    tools: dict[str, AgentTool],
) -> None:
    create = tools["github__create_issue"]
    assert settled(
        create, "open an issue called slow search, labelled perf and ux, assign it to dana"
    ) == {
        "title": "slow search",
        "labels": ["perf", "ux"],
        "assignees": ["dana"],
    }
    busy = tools["calendar__get_freebusy"]
    both = settled(busy, "am I busy tomorrow from two to four on the home and school calendars")
    assert both is not None and both["calendar_ids"] == ["home", "school"]
    logs = tools["aws__run_logs_insights_query"]
    two = settled(logs, "search /ecs/api and /ecs/worker for panics")
    assert two == {"log_group_names": ["/ecs/api", "/ecs/worker"], "query": "panics"}
    users = tools["monday__list_users_and_teams"]
    assert settled(users, "who are monday users 31 and 47") == {"user_ids": ["31", "47"]}
    stack = tools["aws__update_stack"]
    iam = settled(stack, "update stack roles with CAPABILITY_IAM")
    assert iam == {"stack_name": "roles", "capabilities": ["CAPABILITY_IAM"]}


@MODULE_LOOP
async def test_a_yes_or_no_slot_is_true_when_named_and_false_after_a_refusal(
    tools: dict[str, AgentTool],
) -> None:
    alarms = tools["aws__get_active_alarms"]
    assert settled(alarms, "any alarms, include insufficient data too") == {
        "include_insufficient_data": True
    }
    users = tools["monday__list_users_and_teams"]
    assert settled(users, "list the monday users without teams") == {"include_teams": False}


@MODULE_LOOP
async def test_a_schema_example_is_taken_by_its_spoken_words(tools: dict[str, AgentTool]) -> None:
    metric = tools["aws__get_metric_data"]
    assert settled(metric, "graph network out for ec2") == {
        "namespace": "AWS/EC2",
        "metric_name": "NetworkOut",
    }
    lambdas = settled(metric, "how many lambda throttles were there")
    assert lambdas == {"namespace": "AWS/Lambda", "metric_name": "Throttles"}
    runs = tools["github__list_workflow_runs"]
    assert settled(runs, "list the runs triggered by a pull request") == {"event": "pull_request"}


@MODULE_LOOP
async def test_a_slot_is_cued_by_its_own_name_and_a_cued_value_ends_at_a_comma(
    tools: dict[str, AgentTool],
) -> None:
    update = tools["calendar__update_event"]
    assert settled(update, "for event standup-3, the location is now room five") == {
        "event_id": "standup-3",
        "location": "room five",
    }
    merge = tools["github__merge_pull_request"]
    squash = settled(merge, "squash merge PR 8, commit title tidy the docs")
    assert squash == {"pull_number": 8, "merge_method": "squash", "commit_title": "tidy the docs"}
    rename = tools["github__update_issue"]
    assert settled(rename, "rename issue 4 to, um, move ci to buildkite") == {
        "issue_number": 4,
        "title": "move ci to buildkite",
    }


@MODULE_LOOP
async def test_an_identifier_beside_a_noun_is_its_name(tools: dict[str, AgentTool]) -> None:
    describe = tools["aws__describe_ecs_service"]
    assert settled(describe, "how is the checkout-v2 ecs service on cluster prod-1") == {
        "cluster": "prod-1",
        "service_name": "checkout-v2",
    }
    delete = tools["aws__delete_stack"]
    assert settled(delete, "tear down stack demo-env") == {"stack_name": "demo-env"}
    apply = tools["aws__update_stack"]
    url = "https://example.com/t/vpc.yaml"
    assert settled(apply, f"apply {url} to stack vpc-main") == {
        "stack_name": "vpc-main",
        "template_url": url,
    }


@MODULE_LOOP
async def test_a_map_takes_the_identifier_beside_a_key_noun_or_a_key_set_to_a_value(
    tools: dict[str, AgentTool],
) -> None:
    metric = tools["aws__get_metric_data"]
    table = settled(metric, "consumed read capacity units of the users-v2 table in dynamodb")
    assert table == {
        "namespace": "AWS/DynamoDB",
        "metric_name": "ConsumedReadCapacityUnits",
        "dimensions": {"TableName": "users-v2"},
    }
    stack = tools["aws__update_stack"]
    assert settled(stack, "update stack api-prod, set the MinSize parameter to four") == {
        "stack_name": "api-prod",
        "parameters": {"MinSize": "4"},
    }


@MODULE_LOOP
async def test_a_series_step_a_statistic_and_a_camel_case_value_are_said_in_words(
    tools: dict[str, AgentTool],
) -> None:
    metric = tools["aws__get_metric_data"]
    peak = settled(metric, "peak ec2 network in, every 5 minutes")
    assert peak == {
        "namespace": "AWS/EC2",
        "metric_name": "NetworkIn",
        "statistic": "Maximum",
        "period_seconds": 300,
    }
    history = tools["aws__get_alarm_history"]
    assert settled(history, "show the action history of alarm disk-full") == {
        "alarm_name": "disk-full",
        "history_type": "Action",
    }
    changes = settled(history, "state updates for the alarm named cpu-high")
    assert changes == {"alarm_name": "cpu-high", "history_type": "StateUpdate"}


@MODULE_LOOP
async def test_a_search_takes_the_word_a_name_holds(tools: dict[str, AgentTool]) -> None:
    search = tools["monday__search"]
    found = settled(search, "find boards that have budget in their name")
    assert found is not None and found["search_term"] == "budget"


@MODULE_LOOP
async def test_a_list_noun_used_as_a_verb_names_nothing_and_a_number_word_ends_a_query(
    tools: dict[str, AgentTool],
) -> None:
    logs = tools["aws__run_logs_insights_query"]
    search = settled(
        logs, "people can't log in, search the sso logs for denied between ten and two"
    )
    assert search is not None
    assert search["log_group_names"] == ["sso"]
    assert search["query"] == "denied"


@pytest.mark.parametrize(
    ("said", "zone"),
    [
        ("what time is it in tokyo right now", "tokyo"),
        ("the time in New York please", "New York"),
        ("what's the time in Europe/Paris", "Europe/Paris"),
        ("what time is it", None),
    ],
)
def test_a_time_zone_is_a_city_of_an_iana_zone_or_the_zone(said: str, zone: str | None) -> None:
    assert zone_named(said) == zone


def test_two_values_said_together_are_all_where_the_slot_allows_it() -> None:
    states = ["open", "closed", "all"]
    assert enum_choice(states, "every issue, open and closed, in acme/web", frozenset()) == "all"
    assert enum_choice(states, "close the open issue", frozenset()) is None


@pytest.mark.parametrize(
    ("said", "repository"),
    [
        ("reply on globex slash portal number nine", ("globex", "portal")),
        ("close 402 on acme's mobile-app as not planned", ("acme", "mobile-app")),
        ("how big is northwind's payments pr number forty", ("northwind", "payments")),
        ("the acme org's billing repo", ("acme", "billing")),
        ("list the PRs coming from octocat's feature-login branch", None),
        (
            "did run 77 on the fernwood-dev android-client repo pass",
            ("fernwood-dev", "android-client"),
        ),
        (
            "run it on the hotfix/rounding branch in the cobalt-harbor ledger repo",
            ("cobalt-harbor", "ledger"),
        ),
        ("what did maria's team do", None),
    ],
)
def test_a_repository_is_said_with_its_owner(said: str, repository: tuple[str, str] | None) -> None:
    assert repository_said(spoken_slashes(said)) == repository


@MODULE_LOOP
async def test_a_repository_named_by_itself_follows_in_or_on(
    tools: dict[str, AgentTool],
) -> None:
    merge = tools["github__merge_pull_request"]
    merged = settled(merge, "squash and merge pull request one forty in web-api")
    assert merged == {"pull_number": 140, "merge_method": "squash", "repo": "web-api"}
    runs = settled(tools["github__list_workflow_runs"], "any runs queued on feature-x")
    assert runs is not None and "repo" not in runs, "on names a branch where the tool takes one"


@MODULE_LOOP
async def test_a_machine_name_beside_its_noun_beats_a_loose_cue(
    tools: dict[str, AgentTool],
) -> None:
    update = tools["aws__update_stack"]
    said = settled(
        update,
        "update stack iam-roles with the template at https://x.io/t.yaml and allow named iam",
    )
    assert said is not None and said["stack_name"] == "iam-roles"
    create = tools["monday__create_item"]
    item = settled(create, "add q3 budget review to board 1122334455 in group new_group")
    assert item is not None and item["group_id"] == "new_group"


@MODULE_LOOP
async def test_a_value_ends_where_the_request_asks_for_more(tools: dict[str, AgentTool]) -> None:
    create = tools["github__create_issue"]
    said = (
        "make a new issue on acme's infra repo named rotate the db credentials and give it to jdoe"
    )
    assert settled(create, said) == {
        "owner": "acme",
        "repo": "infra",
        "title": "rotate the db credentials",
        "assignees": ["jdoe"],
    }


@MODULE_LOOP
async def test_a_text_is_read_first_and_the_title_from_what_comes_before_it(
    tools: dict[str, AgentTool],
) -> None:
    create = tools["github__create_issue"]
    said = "file an issue about flaky checkout tests with a description that says e2e fails on ci"
    assert settled(create, said) == {"title": "flaky checkout tests", "body": "e2e fails on ci"}
    body = settled(create, "log an issue, title pricing typo, and in the body say it's anually")
    assert body == {"title": "pricing typo", "body": "it's anually"}


@MODULE_LOOP
async def test_a_place_keeps_its_prepositions_and_a_cue_said_twice_counts_where_it_names_one(
    tools: dict[str, AgentTool],
) -> None:
    create = tools["calendar__create_event"]
    said = settled(
        create, "book a dentist appointment next tuesday at 3pm at the smile clinic on king street"
    )
    assert said is not None
    assert said["location"] == "smile clinic on king street"
    assert said["summary"] == "dentist appointment"


@MODULE_LOOP
async def test_a_repeating_event_takes_its_rule_and_a_title_says_more_than_numbers(
    tools: dict[str, AgentTool],
) -> None:
    create = tools["calendar__create_event"]
    said = settled(create, "a weekly standup every monday at nine thirty for fifteen minutes")
    assert said is not None
    assert said["recurrence"] == "FREQ=WEEKLY;BYDAY=MO"
    assert "standup" in said["summary"]


@MODULE_LOOP
async def test_a_prefix_said_as_a_machine_name_is_that_word_and_a_count_before_its_noun(
    tools: dict[str, AgentTool],
) -> None:
    alarms = tools["aws__get_active_alarms"]
    prefixed = settled(alarms, "what alarms starting with prod- are going off")
    assert prefixed is not None and prefixed["name_prefix"] == "prod-"
    items = settled(
        tools["monday__get_board_items_page"],
        "um pull up like fifty items from monday board 1122334455",
    )
    assert items == {"board_id": "1122334455", "limit": 50}


@MODULE_LOOP
async def test_a_forecast_starts_when_the_period_said_does(tools: dict[str, AgentTool]) -> None:
    forecast = settled(tools["aws__get_cost_forecast"], "forecast the daily spend for next week")
    assert forecast == {"start": "2026-03-09", "end": "2026-03-16", "granularity": "DAILY"}


@MODULE_LOOP
async def test_the_model_chooses_among_what_the_settled_slots_left(
    tools: dict[str, AgentTool],
) -> None:
    def offered(tool: str, said: str, slot: str) -> list[Any]:
        return list(slot_schema(tools[tool], said, NOW)["properties"][slot]["enum"])

    event = offered(
        "calendar__update_event", "change the location of q1-review to room 4b", "event_id"
    )
    assert "q1-review" in event and "location" not in event, "an id is a machine name said"
    query = offered("calendar__search_events", "when's the next design review", "query")
    assert "next design review" not in query and "design review" in query
    updates = "show the last twenty updates across board 3344556677"
    assert offered("monday__get_updates", updates, "object_id") == ["3344556677"]


@MODULE_LOOP
async def test_settings_said_where_they_are_set_or_listed_after_with(
    tools: dict[str, AgentTool],
) -> None:
    stack = tools["aws__update_stack"]
    said = "change the InstanceType on the bastion stack to t3.small and the KeyName to ops-key"
    assert settled(stack, said) == {
        "stack_name": "bastion",
        "parameters": {"InstanceType": "t3.small", "KeyName": "ops-key"},
    }
    workflow = tools["github__trigger_workflow"]
    run = (
        "in the infra repo trigger deploy.yml on the staging branch"
        " with environment set to prod and dry_run set to true"
    )
    assert settled(workflow, run) == {
        "repo": "infra",
        "workflow_id": "deploy.yml",
        "ref": "staging",
        "inputs": {"environment": "prod", "dry_run": "true"},
    }


@MODULE_LOOP
async def test_who_did_it_is_said_before_the_verb_or_after_by_and_an_owner_is_an_org(
    tools: dict[str, AgentTool],
) -> None:
    runs = tools["github__list_workflow_runs"]
    assert settled(runs, "which runs did maria start") == {"actor": "maria"}
    assert settled(runs, "runs kicked off by ci-bot") == {"actor": "ci-bot"}
    search = settled(
        tools["github__search_issues"], "search issues in the kubernetes org for memory leak"
    )
    assert search == {"query": "memory leak", "owner": "kubernetes"}


@MODULE_LOOP
async def test_names_said_short_or_inflected_and_a_flag_by_its_opposite(
    tools: dict[str, AgentTool],
) -> None:
    metric = settled(tools["aws__get_metric_data"], "the cpu on instance i-0abc123def")
    assert metric is not None and metric["metric_name"] == "CPUUtilization", "a leading acronym"
    runs = settled(
        tools["github__list_workflow_runs"], "show the scheduled runs on acme's infra repo"
    )
    assert runs == {"event": "schedule", "owner": "acme", "repo": "infra"}, "no branch"
    history = settled(tools["aws__get_alarm_history"], "who changed the config of alarm db-high")
    assert history is not None and history["history_type"] == "ConfigurationUpdate"
    block = "put a focus block on my calendar today from one to three and uh mark me as free"
    event = settled(tools["calendar__create_event"], block)
    assert event is not None and event["busy"] is False and event["summary"] == "focus block"
    assert meeting_title("add a weekly one on one with sam") == "one on one with sam"


@MODULE_LOOP
async def test_names_said_after_prepositions_possessives_and_spoken_slashes(
    tools: dict[str, AgentTool],
) -> None:
    search = settled(
        tools["github__search_issues"],
        "find issues about timeout errors in northwind's checkout-service repo",
    )
    assert search == {"query": "timeout errors", "owner": "northwind", "repo": "checkout-service"}
    pulls = settled(
        tools["github__list_pull_requests"],
        "list the closed pull requests into release/2.4 on the payments repo",
    )
    assert pulls == {"repo": "payments", "state": "closed", "base": "release/2.4"}, "a branch"
    service = settled(
        tools["aws__describe_ecs_service"],
        "what's going on with checkout-api in cluster staging-west",
    )
    assert service == {"cluster": "staging-west", "service_name": "checkout-api"}
    calendar = settled(tools["calendar__list_events"], "what's on dana's calendar next week")
    assert calendar is not None and calendar["calendar_id"] == "dana"
    groups = settled(
        tools["aws__describe_log_groups"],
        "what log groups do we have under slash ecs slash payments",
    )
    assert groups == {"name_prefix": "/ecs/payments"}
    moved = settled(tools["monday__move_item_to_group"], "shift item 1234567 into blocked")
    assert moved == {"item_id": "1234567", "group_id": "blocked"}
    run = settled(
        tools["github__trigger_workflow"],
        "trigger release.yml in acme slash mobile-app with input version set to 2.4.0",
    )
    assert run == {
        "workflow_id": "release.yml",
        "owner": "acme",
        "repo": "mobile-app",
        "inputs": {"version": "2.4.0"},
    }


@MODULE_LOOP
async def test_a_number_in_a_title_stays_and_a_count_before_a_unit_is_no_number_in_parts(
    tools: dict[str, AgentTool],
) -> None:
    create = settled(
        tools["github__create_issue"],
        "create an issue called upgrade node to version 22 in the tooling repo under orbit-hq",
    )
    assert create == {"title": "upgrade node to version 22", "repo": "tooling", "owner": "orbit-hq"}
    assert normalise_numbers("give me three 45 minute slots") == "give me 3 45 minute slots"


@MODULE_LOOP
async def test_owners_said_after_or_before_the_repository_and_a_text_ends_at_another_slot(
    tools: dict[str, AgentTool],
) -> None:
    pulls = settled(
        tools["github__list_pull_requests"], "what pull requests are in kestrel-labs ingest-worker"
    )
    assert pulls == {"owner": "kestrel-labs", "repo": "ingest-worker"}
    create = tools["github__create_issue"]
    titled = settled(create, "open an issue in web-api titled rate limiter returns 500 under load")
    assert titled == {"repo": "web-api", "title": "rate limiter returns 500 under load"}
    filed = settled(
        create,
        "file a ticket, title backfill stuck, body it has been stuck since monday, milestone 4",
    )
    assert filed == {
        "title": "backfill stuck",
        "body": "it has been stuck since monday",
        "milestone": 4,
    }
    free = settled(
        tools["calendar__find_free_slot"], "find a free 30 minutes on dana's and marco's calendars"
    )
    assert free == {"duration_minutes": 30, "calendar_ids": ["dana", "marco"]}


@MODULE_LOOP
async def test_a_prefix_is_the_name_before_the_things_listed(tools: dict[str, AgentTool]) -> None:
    alarms = tools["aws__get_active_alarms"]
    assert settled(alarms, "are any checkout alarms in alarm right now") == {
        "name_prefix": "checkout"
    }
    assert settled(alarms, "what alarms are firing for prod-east") == {"name_prefix": "prod-east"}
    assert settled(alarms, "show me the active alarms") == {}
    assert settled(tools["aws__describe_log_groups"], "what log groups do we have") == {}


@MODULE_LOOP
async def test_a_numbered_thing_is_in_the_repository_named_after_it(
    tools: dict[str, AgentTool],
) -> None:
    comment = settled(
        tools["github__add_issue_comment"], "comment on issue 482 in billing saying fixed"
    )
    assert comment == {"issue_number": 482, "repo": "billing", "body": "fixed"}
    merged = settled(
        tools["github__merge_pull_request"], "merge pull request 88 on infra with a rebase"
    )
    assert merged == {"pull_number": 88, "repo": "infra", "merge_method": "rebase"}
    told = settled(
        tools["github__add_issue_comment"], "comment on issue 5 in the web repo that it is fixed"
    )
    assert told == {"issue_number": 5, "repo": "web", "body": "it is fixed"}
    assert settled(tools["github__get_issue"], "show issue 12 in the morning") == {
        "issue_number": 12
    }


async def test_a_name_said_in_words_is_written_as_its_slot_pattern_allows(
    tools: dict[str, AgentTool],
) -> None:
    issues = settled(tools["github__list_issues"], "show the issues in the data platform repo")
    assert issues == {"repo": "data-platform"}
    run = settled(tools["github__get_workflow_run"], "check on run 55231 in the data platform repo")
    assert run == {"run_id": 55231, "repo": "data-platform"}
    tasks = settled(tools["aws__list_ecs_services"], "what is running in the data platform cluster")
    assert tasks == {"cluster": "data-platform"}
    no_spaces = r"^[A-Za-z0-9._-]+$"
    assert fitted_to(no_spaces, "customer success portal") == "customer-success-portal"
    assert fitted_to(no_spaces, "checkout-api in staging") is None
    assert fitted_to(no_spaces, "touched since monday") is None
    assert settled(tools["monday__get_item"], "show item 9102834455") == {"item_id": "9102834455"}


async def test_the_people_whose_time_is_asked_about_are_the_calendars(
    tools: dict[str, AgentTool],
) -> None:
    busy = settled(tools["calendar__get_freebusy"], "is dana busy tomorrow between 1 and 5")
    assert busy == {"calendar_ids": ["dana"], "start": at(5, 13), "end": at(5, 17)}
    both = settled(tools["calendar__get_freebusy"], "when are marco and li-wei free on friday")
    assert both == {"calendar_ids": ["marco", "li-wei"], "start": at(6, 0), "end": at(7, 0)}
    slots = settled(tools["calendar__find_free_slot"], "three 45 minute slots that work for jlee")
    assert slots == {"duration_minutes": 45, "max_slots": 3, "calendar_ids": ["jlee"]}
    mine = settled(tools["calendar__get_freebusy"], "am I busy tomorrow")
    assert mine == {"start": at(5, 0), "end": at(6, 0)}
    everyone = settled(tools["calendar__find_free_slot"], "find an hour that works for everyone")
    assert everyone == {"duration_minutes": 60}
    pair = settled(tools["calendar__get_freebusy"], "when nadia@x.io and omar@x.io are busy")
    assert pair == {"calendar_ids": ["nadia@x.io", "omar@x.io"]}
    ours = settled(tools["calendar__get_freebusy"], "when are we free tomorrow")
    assert ours == {"start": at(5, 0), "end": at(6, 0)}
    with_address = settled(tools["calendar__find_free_slot"], "a thirty minute slot with k@r.dev")
    assert with_address == {"duration_minutes": 30, "calendar_ids": ["k@r.dev"]}


async def test_assignees_follow_assign_and_a_state_said_alone_is_the_status(
    tools: dict[str, AgentTool],
) -> None:
    issue = settled(
        tools["github__create_issue"], "new issue in mobile-app, title dark mode, assign sara-chen"
    )
    assert issue is not None and issue["assignees"] == ["sara-chen"]
    change = tools["monday__change_item_column_values"]
    done = settled(change, "set item 9102834455 on board 5093821 to done")
    assert done == {
        "board_id": "5093821",
        "item_id": "9102834455",
        "column_values": {"status": {"label": "Done"}},
    }
    back = settled(change, "flip ticket 902 on board 7 back to not started")
    assert back is not None and back["column_values"] == {"status": {"label": "Not started"}}
    named = settled(tools["monday__create_item"], "add an item called set it up to date on board 4")
    assert named == {"board_id": "4", "name": "set it up to date"}


async def test_a_service_is_said_in_its_cluster_and_a_name_ends_at_its_noun(
    tools: dict[str, AgentTool],
) -> None:
    redeploy = settled(
        tools["aws__redeploy_ecs_service"], "force a new deployment of checkout-api in staging-west"
    )
    assert redeploy == {"cluster": "staging-west", "service_name": "checkout-api"}
    describe = tools["aws__describe_ecs_service"]
    on_the = settled(describe, "how's the web service on the prod cluster doing")
    assert on_the == {"cluster": "prod", "service_name": "web"}
    on_cluster = settled(describe, "how's the web-api service on cluster staging-east doing")
    assert on_cluster == {"cluster": "staging-east", "service_name": "web-api"}


@MODULE_LOOP
async def test_a_quoted_title_a_singular_label_and_a_ref_without_its_kind(
    tools: dict[str, AgentTool],
) -> None:
    issue = settled(
        tools["github__create_issue"],
        "'Broken link on pricing page', make that an issue on glasswing/site with the docs label",
    )
    assert issue == {
        "title": "Broken link on pricing page",
        "labels": ["docs"],
        "owner": "glasswing",
        "repo": "site",
    }
    item = settled(tools["monday__create_item"], "on board 8891203344 add 'Vendor review'")
    assert item == {"board_id": "8891203344", "name": "Vendor review"}
    run = settled(tools["github__trigger_workflow"], "trigger release.yml on tag v2.3.0")
    assert run == {"workflow_id": "release.yml", "ref": "v2.3.0"}


@MODULE_LOOP
async def test_a_job_id_follows_the_cue_its_server_publishes(tools: dict[str, AgentTool]) -> None:
    cancel = settled(tools["aws__cancel_job"], "cancel that logs query job, the id is b72d0e55")
    assert cancel == {"job_id": "b72d0e55"}


@MODULE_LOOP
async def test_a_place_follows_at_where_no_clock_time_does(tools: dict[str, AgentTool]) -> None:
    create = tools["calendar__create_event"]
    lunch = settled(create, "book lunch with Marco at Osteria Nonna on friday at 12:30")
    assert lunch == {
        "summary": "lunch with Marco",
        "start": at(6, 12, 30),
        "location": "Osteria Nonna",
    }
    sync = settled(create, "put a sync on my calendar at half past two")
    assert sync == {"summary": "sync", "start": at(4, 14, 30)}


@pytest.mark.parametrize(
    ("tool", "said", "arguments"),
    [
        (
            "github__get_issue",
            "show me issue twenty forty one, no wait, twenty fourteen",
            {"issue_number": 2014},
        ),
        (
            "github__get_pull_request",
            "details on pull request sixty four, sorry, forty six",
            {"pull_number": 46},
        ),
        (
            "monday__get_item",
            "pull up item 6029384710, no sorry, 6029384711",
            {"item_id": "6029384711"},
        ),
    ],
)
@MODULE_LOOP
async def test_a_number_taken_back_is_not_said(
    tools: dict[str, AgentTool], tool: str, said: str, arguments: dict[str, Any]
) -> None:
    assert settled(tools[tool], said) == arguments


@MODULE_LOOP
async def test_a_clock_time_taken_back_by_a_plain_no_is_replaced(
    tools: dict[str, AgentTool],
) -> None:
    filled = settled(
        tools["calendar__create_event"], "create sprint planning, monday at 2, no, make it 4"
    )
    assert filled is not None and filled["start"] == "2026-03-09T16:00:00+00:00"


@pytest.mark.parametrize(
    ("said", "body"),
    [
        (
            "on item 8273645190, tell the team I'll be out tomorrow and Jess is covering",
            "I'll be out tomorrow and Jess is covering",
        ),
        ("on item 8273645190 let everyone know that the fix shipped", "the fix shipped"),
    ],
)
@MODULE_LOOP
async def test_a_text_told_to_someone_is_the_whole_rest(
    tools: dict[str, AgentTool], said: str, body: str
) -> None:
    filled = settled(tools["monday__create_update"], said)
    assert filled is not None and filled["body"] == body


@pytest.mark.parametrize(
    ("said", "place"),
    [
        ("book the incident review tomorrow 2 to 3 in the blue room", "blue room"),
        ("book team sync tomorrow at 3 in conference room B2", "conference room B2"),
    ],
)
@MODULE_LOOP
async def test_a_room_is_the_place(tools: dict[str, AgentTool], said: str, place: str) -> None:
    filled = settled(tools["calendar__create_event"], said)
    assert filled is not None and filled["location"] == place


@pytest.mark.parametrize("said", ["sorted by comment count", "most commented first"])
def test_a_plural_enum_value_is_named_by_its_count(said: str) -> None:
    assert enum_named(
        ["created", "updated", "comments"], f"issues in docs-site {said}", frozenset()
    ) == ["comments"]
