#!/usr/bin/env bash
# Runs a command as an unprivileged user when called as root, since OpenSearch and its test
# framework refuse to run as root. As a normal user it just runs the command.
#
#   unprivileged.sh [--keep-file-access] [--own DIR]... command [args...]
#
# --keep-file-access: the command keeps root's file access (CAP_DAC_READ_SEARCH and
#   CAP_DAC_OVERRIDE as ambient capabilities) while its uid is not 0. The test JVM needs this to
#   read jars in root's Maven repository and write reports into the root-owned build tree.
# --own DIR: hand DIR (created if needed) to that user first. Checks such as access(2), which
#   Java's Files.isWritable uses, ignore capabilities, so folders the command must be seen to
#   write (java.io.tmpdir of the test JVM) have to be its own.
set -euo pipefail

keep_file_access=
own=()
while [ $# -gt 0 ]; do
  case "$1" in
    --keep-file-access) keep_file_access=1; shift ;;
    --own) own+=("$2"); shift 2 ;;
    *) break ;;
  esac
done
for dir in "${own[@]}"; do mkdir -p "$dir"; done

if [ "$(id -u)" != 0 ]; then
  exec "$@"
fi

user_name=${INSTRUCT_EMBED_RUN_AS:-instruct-embed}
if ! id -u "$user_name" >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user_name" 2>/dev/null \
    || id -u "$user_name" >/dev/null  # another process may have created it meanwhile
fi
for dir in "${own[@]}"; do chown -R "$user_name:" "$dir"; done

args=(--reuid="$user_name" --regid="$user_name" --clear-groups)
if [ -n "$keep_file_access" ]; then
  args+=(--inh-caps=+dac_read_search,+dac_override --ambient-caps=+dac_read_search,+dac_override)
fi
exec setpriv "${args[@]}" -- "$@"
