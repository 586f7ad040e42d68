"""The one home of shared test code (archives, hostile trees, Unix users, the Ansible runner): tests import it as
``support``; nothing here imports a test module."""
