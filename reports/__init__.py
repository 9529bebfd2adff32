"""Turns a run's raw results into results.json, report.html and junit.xml."""
