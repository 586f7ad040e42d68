"""The one home of shared test code, as ansible-core has test/units/mock/.

Every test imports it by its portable name, which works under plain pytest from the checkout (pytest.ini puts
``collections/`` on sys.path, where ``ansible_collections/labfleet/zoo`` is the checkout) and under
``ansible-test units`` from a copy at ``ansible_collections/labfleet/zoo``::

    from ansible_collections.labfleet.zoo.tests.support import archives, runner
    from ansible_collections.labfleet.zoo.tests.support.repo import PC_MODEL

The import rule: plugins import only plugins; tools import plugins (and tools/fixtures); tests import plugins,
tools/fixtures and this package. Nothing here imports a test module, and no test imports another test module.

    repo         the checkout: paths, the Python environment of child processes, the role defaults (PC_MODEL...)
    runner       the one way the tests run Ansible (ad-hoc, ansible-playbook, any command) and read its JSON
    zoo          synthetic archives served on 127.0.0.1 for a test session
    archives     archives built by the tests, hostile ones included
    trees        snapshots of folders and of the module's work folder
    lab          the hostile lab: a real student user owning dest, root running the module
    kills        the killed-run child (kill_child.py) started, frozen at one point and SIGKILLed
    fleet        the simulated lab over SSH: one Unix user per host, one sshd; its hosts are parameters
    mirror       that lab with a teacher host running the mirror role
    nginx        an nginx master of our own on 127.0.0.1
    reliability  the reliability scenarios (issue 5), one module per concern, and their report
"""
