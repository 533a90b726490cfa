"""A workshop kit: one cluster, a namespace per participant, exercises checked live.

For an instructor (``podnotes workshop`` on the command line does the same)::

    from podnotes.workshop import connection, participants, setup, board, reset, down

    place = connection.Place(cluster="kind")                  # or an allowed context
    cluster = connection.open_place(place)
    people = participants.load("room.txt", "ws")
    record = setup.begin(place, cluster, "ws", people)
    setup.set_up(cluster, record)                              # namespaces, RBAC, quota, kubeconfigs, sheets
    print(board.text(board.check_round(cluster, "ws", people)))
    reset.reset(cluster, "ws", people[0])
    down.down(cluster, "ws")                                   # proved empty afterwards

For a participant, in a notebook: ``notebook.check("alice.kubeconfig")``. The instructor's guide is the
book's appendix "Running a workshop" (chapters/reference/workshop.md).
"""

from __future__ import annotations

from .exercises import EXERCISES, Exercise, NamespaceView, Result
from .participants import Participant, ParticipantError

__all__ = ["EXERCISES", "Exercise", "NamespaceView", "Participant", "ParticipantError", "Result"]
