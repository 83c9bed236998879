"""Process management for running DIA3 on one machine: embedded Redis and child processes."""
