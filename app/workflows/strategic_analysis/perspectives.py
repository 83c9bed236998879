"""The perspectives analysed when a job names none."""

DEFAULT_PERSPECTIVES = ("economic", "political/regulatory", "technological", "risk")
