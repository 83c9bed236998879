"""Jobs: the durable record of a submitted analysis, its steps, progress and result."""
