"""The hardened reference stacks in ``infra_templates/``: deployed through the Pulumi Automation
API, and proven offline by scanning what the program registers under Pulumi's mocks.

- `templates`: the templates and their config, shared by both;
- `mocks`: the program under Pulumi's mocks, recorded as a ``pulumi stack export`` document;
- `check`: the offline proof, that document read by the Pulumi source and scanned;
- `deploy`: preview, up, destroy and outputs through the Automation API and the Pulumi CLI.

Pulumi is an optional extra (``vendorguard[provision]``) and slow to import: the modules import it
inside the functions that need it, and this package imports none of them.
"""
