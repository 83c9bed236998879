"""The webhook delivery task, declared like a workflow's steps: its name and its own queue,
so slow receivers never hold up analysis steps."""

from app.workflows.steps import declare

DELIVER = declare("dia3.webhooks.deliver", "webhooks")
