#!/bin/bash
# Test stand-in for the official start script (jenkinsci/docker jenkins.sh + jenkins-support at
# 2.555.2, read there; not copied): refuse an unwritable home, copy the reference files into it
# as upstream does, then run the given command or the java stand-in.
#
# Reference files (files and symbolic links under $REF, the link's target copied):
#   * plugins/*.jpi: installed when missing or marked .override; otherwise upgraded when the
#     image's Plugin-Version is newer than the installed one, unless it was upgraded by hand
#     since the image installed it (its version_from_image marker is older than the installed
#     version; PLUGINS_FORCE_UPGRADE still upgrades then). Each copy touches <name>.pinned and
#     writes <name>.version_from_image. Without a marker nothing is upgraded, unless
#     TRY_UPGRADE_IF_NO_MARKER is set.
#   * any other file: copied only when missing from the home, or when marked .override
#     (x.override replaces x on every start).
# Log lines (copy_reference_file.log): "INSTALLED rel", "UPGRADED rel : reason",
# "SKIPPED rel : reason" (skips of unchanged files only with VERBOSE).
set -euo pipefail
: "${JENKINS_HOME:?JENKINS_HOME is not set}"
ref=${REF:-/usr/share/jenkins/ref}
log=${COPY_REFERENCE_FILE_LOG:-$JENKINS_HOME/copy_reference_file.log}
if ! touch "$log" 2>/dev/null; then
  echo "Can not write to $log. Wrong volume permissions?" >&2
  exit 1
fi
echo "--- Copying files at $(date -u +%Y-%m-%dT%H:%M:%SZ) as uid $(id -u)" >>"$log"

# older VERSION1 VERSION2: true when VERSION1 sorts before VERSION2 ("-" read as "."; a
# "<n>.v<hash>" incremental is older than a "<n>.<m>..." backport of the same <n>)
older() {
  [[ $1 != "$2" ]] || return 1
  local a=${1//-/.} b=${2//-/.}
  local rest=${a#*.}
  if [[ ${a%%.*} == "${b%%.*}" && ${rest:0:1} == v ]]; then
    return 0
  fi
  [[ $(printf '%s\n%s\n' "$a" "$b" | sort -V | head -n 1) == "$a" ]]
}

plugin_version() {
  unzip -p "$1" META-INF/MANIFEST.MF 2>/dev/null | tr -d '\r' |
    sed -n 's/^Plugin-Version: //p' | head -n 1
}

copy_one() {
  local src=$1 rel=$2 dest="$JENKINS_HOME/$2" action="" reason=""
  if [[ $rel == plugins/*.jpi ]]; then
    local marker="$dest.version_from_image" image have="" was
    image=$(plugin_version "$src")
    [[ -e $dest ]] && have=$(plugin_version "$dest")
    if [[ -e $dest && -e $marker ]]; then
      was=$(cat "$marker")
      if older "$was" "$have"; then
        if older "$have" "$image" && [[ -n ${PLUGINS_FORCE_UPGRADE:-} ]]; then
          action=UPGRADED reason="forced: $have is older than the image's $image"
        else
          action=SKIPPED reason="upgraded by hand from $was to $have"
        fi
      elif [[ $image == "$have" ]]; then
        action=SKIPPED reason="same version $image"
      elif older "$image" "$have"; then
        action=SKIPPED reason="the image's $image is older than $have"
      else
        action=UPGRADED reason="the image's $image is newer than $have"
      fi
    elif [[ -e $dest && -n ${TRY_UPGRADE_IF_NO_MARKER:-} ]]; then
      if [[ $image == "$have" ]]; then
        action=SKIPPED reason="same version $image (no marker)"
        echo "$image" >"$marker"
      elif older "$image" "$have"; then
        action=SKIPPED reason="the image's $image is older than $have (no marker)"
      else
        action=UPGRADED reason="the image's $image is newer than $have (no marker)"
      fi
    fi
    if [[ ! -e $dest || $action == UPGRADED || $src == *.override ]]; then
      action=${action:-INSTALLED} reason=${reason:-$image}
      mkdir -p "$(dirname "$dest")"
      cp -pr "$src" "$dest"
      touch "$dest.pinned"
      echo "$image" >"$marker"
    fi
  elif [[ ! -e $dest || $src == *.override ]]; then
    action=INSTALLED
    mkdir -p "$(dirname "$dest")"
    cp -pr "$(realpath "$src")" "$dest"
  fi
  if [[ -z $action ]]; then
    action=SKIPPED
    [[ -n ${VERBOSE:-} ]] || return 0
  elif [[ $action == SKIPPED && -z ${VERBOSE:-} && $reason == "same version"* ]]; then
    return 0
  fi
  echo "$action $rel${reason:+ : $reason}" >>"$log"
}

if [[ -d $ref ]]; then
  while IFS= read -r -d '' path; do
    rel=${path#"$ref"/}
    copy_one "$path" "${rel%.override}"
  done < <(find "$ref" \( -type f -o -type l \) -print0)
fi
echo "--- Copied files finished at $(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$log"
if [[ $# -gt 0 && $1 != --* ]]; then
  exec "$@"
fi
exec /usr/local/bin/standin-java "$@"
