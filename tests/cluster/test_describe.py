"""kubectl describe's Events and container states from API objects, without a cluster
(podnotes.cluster.describe; kubectl staging/src/k8s.io/kubectl/pkg/describe/describe.go, DescribeEvents and
describeContainerState)."""

from __future__ import annotations

from podnotes.cluster.describe import (
    Recording,
    container_section,
    event_rows,
    events_of,
    events_table,
    fold_line,
    terminal,
    waiting_reason,
)

UID = "0b5c"
POD = {"metadata": {"name": "crash", "namespace": "demo", "uid": UID},
       "spec": {"containers": [{"name": "app"}]},
       "status": {"phase": "Running", "containerStatuses": [{
           "name": "app", "ready": False, "restartCount": 3,
           "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed"}},
           "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": "2026-12-01T00:00:30Z",
                                        "finishedAt": "2026-12-01T00:00:30Z"}}}]}}
EVENTS = [
    {"involvedObject": {"uid": UID}, "type": "Warning", "reason": "BackOff", "count": 3,
     "firstTimestamp": "2026-12-01T00:00:02Z", "lastTimestamp": "2026-12-01T00:00:31Z",
     "source": {"component": "kubelet"}, "message": "Back-off restarting failed container app in pod crash\n"},
    {"involvedObject": {"uid": UID}, "type": "Normal", "reason": "Scheduled",
     "eventTime": "2026-12-01T00:00:00.000000Z", "reportingComponent": "default-scheduler",
     "message": "Successfully assigned demo/crash to podnotes-node"},
    {"involvedObject": {"uid": "other"}, "type": "Normal", "reason": "Pulled", "count": 1,
     "firstTimestamp": "2026-12-01T00:00:01Z", "lastTimestamp": "2026-12-01T00:00:01Z", "message": "x"},
]
NOW = 1796083260.0  # 2026-12-01T00:01:00Z


def test_only_the_pods_events_sorted_by_last_time_with_counts_and_sources():
    rows = event_rows(events_of(POD, EVENTS))
    assert [row.reason for row in rows] == ["Scheduled", "BackOff"]
    scheduled, backoff = rows
    assert scheduled.source == "default-scheduler" and scheduled.count == 1 and scheduled.age(NOW) == "60s"
    assert backoff.message.endswith("in pod crash") and backoff.age(NOW) == "29s (x3 over 58s)"


def test_the_events_table_aligns_columns_and_folds_long_messages_at_blanks():
    rows = event_rows(events_of(POD, EVENTS))
    wide = events_table(rows, NOW).splitlines()
    assert wide[0] == "Events:"
    assert wide[1].split() == ["Type", "Reason", "Age", "From", "Message"]
    assert wide[1].index("Message") == wide[4].index("Back-off")  # Scheduled first, then BackOff
    narrow = events_table(rows, NOW, width=60).splitlines()
    assert max(len(line) for line in narrow) <= 60
    assert " ".join(line.strip() for line in narrow[4:]).endswith("Back-off restarting failed container app "
                                                                  "in pod crash")
    assert events_table([], NOW) == "Events:  <none>"


def test_container_state_and_last_state_as_describe_prints_them():
    text = container_section(POD, "app")
    assert "State:          Waiting\n    Reason:      CrashLoopBackOff" in text
    assert "Last State:     Terminated" in text and "Exit Code:   1" in text
    assert text.endswith("Ready:          False\n  Restart Count:  3")
    assert waiting_reason(POD) == "CrashLoopBackOff" and waiting_reason(POD, "other") is None
    assert "no status yet" in container_section({"status": {}}, "app")


def test_terminal_output_folds_only_long_lines_and_keeps_unbreakable_ones():
    long = "  Warning  Failed  7s  kubelet  " + "Failed to pull image " * 6
    text = terminal({"command": "kubectl describe pod x", "stdout": long + "\nshort\n", "stderr": "refused\n"})
    lines = text.splitlines()
    assert lines[0] == "$ kubectl describe pod x" and lines[-2:] == ["short", "refused"]
    assert all(len(line) <= 84 for line in lines) and all(line.startswith("      ") for line in lines[2:-2])
    assert fold_line("x" * 100, 84) == ["x" * 100]


def test_a_recording_that_is_missing_shows_nothing(capsys):
    missing = Recording(None)
    missing.show("kubectl get pods")
    missing.show_each("kubectl debug")
    assert not missing.real and capsys.readouterr().out == ""
    present = Recording({"kubectl": [{"command": "kubectl get pods", "stdout": "NAME\n", "stderr": "", "exit": 0}],
                         "pods": {"crash": POD}, "events": EVENTS})
    present.show("kubectl get pods")
    assert capsys.readouterr().out == "$ kubectl get pods\nNAME\n"
    assert present.reasons("crash") == {"Scheduled", "BackOff"}


def test_a_long_command_line_folds_between_words_and_still_means_the_same():
    import shlex

    from podnotes.cluster.describe import command_lines

    command = ("kubectl debug target --image=registry.k8s.io/busybox:1.27.2 --target=app -c debugger -- "
               "sh -c 'ps; cat /proc/1/root/tmp/only-in-app; cat /tmp/only-in-app'")
    lines = command_lines(command)
    assert len(lines) > 1 and all(len(line) <= 84 for line in lines)
    assert all(line.endswith(" \\") for line in lines[:-1])
    joined = " ".join(line.removesuffix(" \\") for line in lines).removeprefix("$ ")
    assert shlex.split(joined) == shlex.split(command)
    assert command_lines("kubectl get pods") == ["$ kubectl get pods"]
