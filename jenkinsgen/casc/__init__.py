"""Configuration as Code (JCasC) documents rendered by jenkinsgen: the controller
(``controller``), clouds for on-demand agents (``clouds``) and shared helpers (``document``)."""
