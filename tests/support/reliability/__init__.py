"""The reliability scenarios of labfleet.zoo.model (issue 5), one module per concern, shared by the pytest suite
(tests/reliability) and its report (``pytest tests/reliability --reliability-report``, see report.py).

Every fault is real: tools/fixtures/zoo_server.py cuts, stalls, refuses and ignores Range over TCP on 127.0.0.1,
child processes are really SIGKILLed, hostile archives are built byte by byte, a real tmpfs really fills up, and the
module runs through ``ansible`` / ``ansible-playbook``. Only the back-off *wait* between retries is shortened.

Each scenario is a function ``name(work, seed, quick=False) -> Outcome`` (common.py): figures for the table, the
failures found (an empty list means every property held) and details for humans.

    common            Outcome, the seed, the full verification of an install, tmpfs mounts
    network           network faults at seeded random offsets
    killed_runs       SIGKILLs at chosen and random moments
    hostile_archives  hostile archives through the Installer
    parameters        bad parameters through the real module
    concurrency       four module runs at once for one model
    disk              disk full on a real tmpfs
    students          students' files through forced reinstalls and reprovisioning
    report            the whole suite as one table (and the hostile lab's block)
"""
