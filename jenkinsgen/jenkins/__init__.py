"""Talking to a Jenkins controller: credentials and the one thin client over python-jenkins."""

from jenkinsgen.jenkins.auth import Credentials, load_credentials
from jenkinsgen.jenkins.client import JenkinsClient, JenkinsRequestError, LiveItem, RetryPolicy

__all__ = [
    "Credentials",
    "JenkinsClient",
    "JenkinsRequestError",
    "LiveItem",
    "RetryPolicy",
    "load_credentials",
]
