"""Importing clients from CSV and XLSX files (see jobs.py for how a job runs)."""
