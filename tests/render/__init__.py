"""Rendering tests: Jenkinsfile (Groovy AST), config.xml, golden trees."""
