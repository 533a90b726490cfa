"""CronJob schedules as robfig/cron/v3 ParseStandard reads them (parser.go), with the API server's
TZ rule and time zone check (pkg/apis/batch/validation); each message was checked against
kube-apiserver 1.37 (tests/fixtures/lint/bad/workload-rules.yaml goes to it in the cluster tests)."""

from __future__ import annotations

import pytest

from podnotes.kube.cron import go_duration_problem, schedule_problem, time_zone_problem


@pytest.mark.parametrize("schedule", ["*/5 * * * *", "@hourly", "@every 1h30m", "0 0 * JAN-MAR mon-fri",
                                      "0 0 ? * *", "0,30 8-18/2 1 */3 0"])
def test_schedules_the_server_accepts(schedule):
    assert schedule_problem(schedule) is None


@pytest.mark.parametrize("schedule, problem", [
    ("every minute", "expected exactly 5 fields, found 2: [every minute]"),
    ("0 */5 * * * *", "expected exactly 5 fields, found 6: [0 */5 * * * *]"),
    ("TZ=UTC */5 * * * *", "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
    ("60 * * * *", "end of range (60) above maximum (59): 60"),
    ("0 0 * * 7", "end of range (7) above maximum (6): 7"),
    ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("@foo", "unrecognized descriptor: @foo"),
    ("@every 5x", 'failed to parse duration @every 5x: time: unknown unit "x" in duration "5x"'),
    ("a * * * *", 'failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax'),
])
def test_schedules_the_server_refuses_in_its_words(schedule, problem):
    assert schedule_problem(schedule) == problem


def test_go_durations():
    assert go_duration_problem("1h30m") is None and go_duration_problem("1.5s") is None
    assert go_duration_problem("5") == 'time: missing unit in duration "5"'


def test_time_zones():
    assert time_zone_problem("Asia/Shanghai") is None
    assert time_zone_problem("Mars/Base") == "unknown time zone Mars/Base"
    assert time_zone_problem("Local").startswith("timeZone must be an explicit time zone")
