#!/bin/bash
# Test stand-in for the official start script: refuse an unwritable home, copy reference files
# that are missing (or marked .override), then run the given command or the java stand-in.
set -euo pipefail
: "${JENKINS_HOME:?JENKINS_HOME is not set}"
ref=${REF:-/usr/share/jenkins/ref}
log="$JENKINS_HOME/copy_reference_file.log"
if ! touch "$log" 2>/dev/null; then
  echo "Can not write to $log. Wrong volume permissions?" >&2
  exit 1
fi
echo "start $(date -u +%Y-%m-%dT%H:%M:%SZ) as uid $(id -u)" >>"$log"
if [[ -d $ref ]]; then
  while IFS= read -r -d '' rel; do
    rel=${rel#./}
    dest="$JENKINS_HOME/${rel%.override}"
    if [[ $rel == *.override || ! -e $dest ]]; then
      mkdir -p "$(dirname "$dest")"
      cp "$ref/$rel" "$dest"
      echo "copied $rel" >>"$log"
    fi
  done < <(cd "$ref" && find . -type f -print0)
fi
if [[ $# -gt 0 && $1 != --* ]]; then
  exec "$@"
fi
exec /usr/local/bin/standin-java "$@"
