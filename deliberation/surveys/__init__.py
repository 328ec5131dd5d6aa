"""Surveys (问卷 / 征询单): questionnaires answered online or on paper, and their results."""
