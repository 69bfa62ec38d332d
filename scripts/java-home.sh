#!/usr/bin/env bash
# Print a JAVA_HOME for Debian's groovy (the JDK that `java` on PATH belongs to).
set -eu
java=$(readlink -f "$(command -v java)")
dirname "$(dirname "$java")"
