"""Training: the multi-agency training curriculum: learners, enrolments, completions."""
